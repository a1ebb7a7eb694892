// Sign-in with oidc-client-ts: authorization code + PKCE (S256) against the provider
// that /api/v1/config names. The provider's access token is the API session.
import { UserManager, WebStorageStateStore, type UserManagerSettings } from "oidc-client-ts";
import type { OidcConfig } from "../api/types";

/** Where the provider sends the browser back after sign-in and after sign-out. */
export const CALLBACK_PATH = "/callback";
export const LOGOUT_PATH = "/logout";

export function userManagerSettings(oidc: OidcConfig, origin: string, storage?: Storage): UserManagerSettings {
  const store = storage ? new WebStorageStateStore({ store: storage }) : undefined;
  return {
    authority: oidc.issuer,
    client_id: oidc.client_id ?? "",
    redirect_uri: `${origin}${CALLBACK_PATH}`,
    post_logout_redirect_uri: `${origin}${LOGOUT_PATH}`,
    response_type: "code",
    scope: oidc.scopes.join(" "),
    // Tokens live for this tab only, never in cookies or localStorage.
    ...(store ? { userStore: store, stateStore: store } : {}),
    automaticSilentRenew: true, // with the refresh token
    loadUserInfo: false,
    monitorSession: false,
  };
}

export function createUserManager(oidc: OidcConfig): UserManager {
  return new UserManager(userManagerSettings(oidc, window.location.origin, window.sessionStorage));
}

/**
 * Only same-site paths are followed after sign-in (never `//evil.example` or a URL):
 * the return path travels through the provider in `state`.
 */
export function safeReturnPath(value: unknown): string {
  if (typeof value !== "string") return "/";
  if (!value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return "/";
  if (value.startsWith(CALLBACK_PATH) || value.startsWith(LOGOUT_PATH)) return "/";
  return value;
}

/**
 * The sign-out URL for providers whose discovery has no end_session_endpoint:
 * Cognito's hosted UI signs out at <domain>/logout?client_id=…&logout_uri=….
 */
export function fallbackLogoutUrl(authorizationEndpoint: string | undefined, clientId: string, origin: string): string | null {
  if (!authorizationEndpoint) return null;
  let url: URL;
  try {
    url = new URL(authorizationEndpoint);
  } catch {
    return null;
  }
  if (!url.pathname.endsWith("/oauth2/authorize")) return null;
  const out = new URL("/logout", url.origin);
  out.searchParams.set("client_id", clientId);
  out.searchParams.set("logout_uri", `${origin}${LOGOUT_PATH}`);
  return out.toString();
}
