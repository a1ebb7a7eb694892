import { useEffect } from "react";
import { Link } from "react-router-dom";
import { useAuth } from "../auth/AuthContext";
import { usePageTitle } from "../components/Layout";

/** /logout: where the identity provider sends the browser back after sign-out. */
export default function LogoutPage() {
  usePageTitle("Signed out");
  const auth = useAuth();
  useEffect(() => {
    const um = auth.userManager;
    if (!um) return;
    if (new URLSearchParams(window.location.search).has("state")) {
      void um.signoutRedirectCallback().catch(() => undefined);
    }
    void um.removeUser();
  }, [auth.userManager]);
  return (
    <section>
      <h1>You are signed out</h1>
      <p>Your session in this browser has ended. API keys you created keep working until you revoke them.</p>
      <p className="actions">
        {auth.signInAvailable && (
          <button type="button" onClick={() => void auth.signIn("/")}>
            Sign in again
          </button>
        )}
        <Link to="/">Browse public channels</Link>
      </p>
    </section>
  );
}
