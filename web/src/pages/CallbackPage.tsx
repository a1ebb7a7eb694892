import { useEffect, useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import type { UserManager } from "oidc-client-ts";
import { describeError } from "../api/errors";
import { useAuth } from "../auth/AuthContext";
import { safeReturnPath } from "../auth/oidc";
import { usePageTitle } from "../components/Layout";

// The code in the URL may be exchanged once only: remember the exchange so that a
// second effect run (React's development double-invoke) waits for the same one.
const exchanges = new Map<string, Promise<string>>();

function completeSignIn(userManager: UserManager, url: string): Promise<string> {
  let pending = exchanges.get(url);
  if (!pending) {
    pending = userManager.signinRedirectCallback(url).then((user) => {
      const state = user.state as { returnTo?: unknown } | undefined;
      return safeReturnPath(state?.returnTo);
    });
    exchanges.set(url, pending);
  }
  return pending;
}

/** /callback: where the identity provider sends the browser back after sign-in. */
export default function CallbackPage() {
  usePageTitle("Signing in");
  const { userManager } = useAuth();
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!userManager) {
      setError("This deployment has no sign-in.");
      return;
    }
    const params = new URLSearchParams(window.location.search);
    const refused = params.get("error");
    if (refused) {
      setError(params.get("error_description") || `The identity provider refused the sign-in (${refused}).`);
      return;
    }
    let live = true;
    completeSignIn(userManager, window.location.href)
      .then((to) => live && navigate(to, { replace: true }))
      .catch((e: unknown) => live && setError(describeError(e)));
    return () => {
      live = false;
    };
  }, [userManager, navigate]);

  if (error) {
    return (
      <section>
        <h1>Sign-in did not complete</h1>
        <p role="alert">{error}</p>
        <p>
          <Link to="/">Go to the home page</Link> and sign in again.
        </p>
      </section>
    );
  }
  return (
    <section aria-busy="true">
      <h1>Signing in…</h1>
    </section>
  );
}
