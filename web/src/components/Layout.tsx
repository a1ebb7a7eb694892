import { useEffect, useRef, type ReactNode } from "react";
import { Link, Navigate, NavLink, Outlet, useLocation } from "react-router-dom";
import { useAuth } from "../auth/AuthContext";
import { CALLBACK_PATH, LOGOUT_PATH } from "../auth/oidc";
import { useConfig } from "../config";

export const CHOOSE_NAME_PATH = "/account/username";

/** Sets the tab's title: "<title> · Rillet". */
export function usePageTitle(title: string) {
  useEffect(() => {
    document.title = title ? `${title} · Rillet` : "Rillet";
  }, [title]);
}

function AccountControls() {
  const auth = useAuth();
  if (!auth.signInAvailable) return null;
  if (auth.status === "loading") return <span className="muted">Checking sign-in…</span>;
  if (auth.status === "signed-out") {
    return (
      <button type="button" onClick={() => void auth.signIn()}>
        Sign in
      </button>
    );
  }
  return (
    <>
      <NavLink to="/account" className="account-link">
        {auth.me?.name ? `Account (${auth.me.name})` : "Account"}
      </NavLink>
      <button type="button" className="secondary" onClick={() => void auth.signOut()}>
        Sign out
      </button>
    </>
  );
}

export function Layout({ children }: { children?: ReactNode }) {
  const auth = useAuth();
  const config = useConfig();
  const location = useLocation();
  const main = useRef<HTMLElement>(null);
  const shownPath = useRef(location.pathname);

  // After navigating, move focus to the new page so keyboard and screen reader users
  // start at its content (not on the first load: the skip link comes first then).
  useEffect(() => {
    if (shownPath.current === location.pathname) return;
    shownPath.current = location.pathname;
    main.current?.focus();
  }, [location.pathname]);

  const path = location.pathname;
  const exempt = path === CHOOSE_NAME_PATH || path === CALLBACK_PATH || path === LOGOUT_PATH;
  if (auth.needsName && !exempt) {
    const next = encodeURIComponent(`${path}${location.search}`);
    return <Navigate to={`${CHOOSE_NAME_PATH}?next=${next}`} replace />;
  }

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <Link to="/" className="brand">
          Rillet
        </Link>
        <nav aria-label="Main" className="main-nav">
          <NavLink to="/" end>
            Channels
          </NavLink>
          {auth.status === "signed-in" && auth.me?.name && <NavLink to="/channels/new">New channel</NavLink>}
        </nav>
        <div className="account-controls">
          <AccountControls />
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {children ?? <Outlet />}
      </main>
      <footer className="site-footer">
        <p>
          Rillet {config.version} · conda channels for pixi, conda, mamba and rattler-build
        </p>
      </footer>
    </>
  );
}

/** Shows its children to signed-in users with a username; others get a sign-in prompt. */
export function RequireSignIn({ children, what }: { children: ReactNode; what: string }) {
  const auth = useAuth();
  if (auth.status === "loading" || (auth.status === "signed-in" && !auth.me && !auth.error)) {
    return <p role="status">Checking sign-in…</p>;
  }
  if (auth.status === "signed-out" || !auth.me?.name) {
    return (
      <section className="sign-in-needed">
        <h1>Sign in to {what}</h1>
        {auth.error && <p className="error" role="alert">{auth.error}</p>}
        {auth.signInAvailable ? (
          <button type="button" onClick={() => void auth.signIn()}>
            Sign in
          </button>
        ) : (
          <p>This deployment has no sign-in; use the CLI with an API key.</p>
        )}
      </section>
    );
  }
  return <>{children}</>;
}
