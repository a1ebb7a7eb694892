// Who is signed in. `useAuth()` gives the state and the actions, `useApi()` the API
// client that sends the session's access token as Bearer.
import type { User, UserManager } from "oidc-client-ts";
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { createApi, type Api } from "../api/client";
import { ApiError, describeError } from "../api/errors";
import type { Me } from "../api/types";
import { useConfig } from "../config";
import { createUserManager, fallbackLogoutUrl, LOGOUT_PATH, safeReturnPath } from "./oidc";

export type AuthStatus = "loading" | "signed-out" | "signed-in";

export interface AuthState {
  status: AuthStatus;
  /** the API's view of the caller (null until loaded, or when signed out) */
  me: Me | null;
  /** a signed-in user who has not chosen a username yet */
  needsName: boolean;
  /** why loading the account failed, in words */
  error: string | null;
  /** false when the deployment has no identity provider */
  signInAvailable: boolean;
  api: Api;
  userManager: UserManager | null;
  signIn: (returnTo?: string) => Promise<void>;
  signOut: () => Promise<void>;
  /** reload /users/me, e.g. after choosing a username */
  refreshMe: () => Promise<Me | null>;
}

/** Exported for tests, which provide a fake AuthState. */
export const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const config = useConfig();
  const userManager = useMemo(() => (config.oidc ? createUserManager(config.oidc) : null), [config.oidc]);
  const tokenRef = useRef<string | null>(null);
  const api = useMemo(() => createApi(() => tokenRef.current), []);
  const [status, setStatus] = useState<AuthStatus>(userManager ? "loading" : "signed-out");
  const [me, setMe] = useState<Me | null>(null);
  const [error, setError] = useState<string | null>(null);

  const loadMe = useCallback(async (): Promise<Me | null> => {
    try {
      const found = await api.me();
      setMe(found);
      setError(null);
      return found;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        // The session is no longer accepted: forget it.
        tokenRef.current = null;
        await userManager?.removeUser();
        setMe(null);
        setStatus("signed-out");
        setError(describeError(e));
        return null;
      }
      setError(describeError(e));
      return null;
    }
  }, [api, userManager]);

  const adopt = useCallback(
    async (user: User | null) => {
      if (user && !user.expired && user.access_token) {
        tokenRef.current = user.access_token;
        setStatus("signed-in");
        await loadMe();
      } else {
        tokenRef.current = null;
        setMe(null);
        setStatus("signed-out");
      }
    },
    [loadMe],
  );

  useEffect(() => {
    if (!userManager) return;
    let live = true;
    userManager
      .getUser()
      .then((user) => {
        if (live) void adopt(user);
      })
      .catch(() => {
        if (live) void adopt(null);
      });
    const onLoaded = (user: User) => {
      // A silent renew only swaps the token; a new sign-in also loads the account.
      const first = tokenRef.current === null;
      tokenRef.current = user.access_token;
      setStatus("signed-in");
      if (first) void loadMe();
    };
    const onUnloaded = () => {
      if (live) void adopt(null);
    };
    const onExpired = () => {
      void userManager.removeUser();
    };
    userManager.events.addUserLoaded(onLoaded);
    userManager.events.addUserUnloaded(onUnloaded);
    userManager.events.addAccessTokenExpired(onExpired);
    return () => {
      live = false;
      userManager.events.removeUserLoaded(onLoaded);
      userManager.events.removeUserUnloaded(onUnloaded);
      userManager.events.removeAccessTokenExpired(onExpired);
    };
  }, [userManager, adopt, loadMe]);

  const signIn = useCallback(
    async (returnTo?: string) => {
      if (!userManager) return;
      const here = returnTo ?? `${window.location.pathname}${window.location.search}${window.location.hash}`;
      await userManager.signinRedirect({ state: { returnTo: safeReturnPath(here) } });
    },
    [userManager],
  );

  const signOut = useCallback(async () => {
    if (!userManager) return;
    const metadata = await userManager.metadataService.getMetadata().catch(() => null);
    if (metadata?.revocation_endpoint) {
      // The refresh token outlives the session: revoke it first (best effort).
      await userManager.revokeTokens(["refresh_token"]).catch(() => undefined);
    }
    tokenRef.current = null;
    setMe(null);
    setStatus("signed-out");
    if (metadata?.end_session_endpoint) {
      await userManager.signoutRedirect();
      return;
    }
    await userManager.removeUser();
    const fallback = fallbackLogoutUrl(
      metadata?.authorization_endpoint,
      config.oidc?.client_id ?? "",
      window.location.origin,
    );
    window.location.assign(fallback ?? LOGOUT_PATH);
  }, [userManager, config.oidc]);

  const value = useMemo<AuthState>(
    () => ({
      status,
      me,
      needsName: status === "signed-in" && me?.needs_name === true,
      error,
      signInAvailable: userManager !== null,
      api,
      userManager,
      signIn,
      signOut,
      refreshMe: loadMe,
    }),
    [status, me, error, userManager, api, signIn, signOut, loadMe],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error("useAuth outside AuthProvider");
  return auth;
}

/** The API client, with the session's token when signed in. */
export function useApi(): Api {
  return useAuth().api;
}
