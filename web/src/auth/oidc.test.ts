import { fallbackLogoutUrl, safeReturnPath, userManagerSettings } from "./oidc";

describe("safeReturnPath", () => {
  it("follows same-site paths only", () => {
    expect(safeReturnPath("/channels/mychan?x=1")).toBe("/channels/mychan?x=1");
    expect(safeReturnPath("//evil.example/x")).toBe("/");
    expect(safeReturnPath("/\\evil.example")).toBe("/");
    expect(safeReturnPath("https://evil.example/")).toBe("/");
    expect(safeReturnPath(undefined)).toBe("/");
    expect(safeReturnPath("/callback?code=1")).toBe("/");
  });
});

describe("userManagerSettings", () => {
  it("uses the provider, client and scopes that /api/v1/config names", () => {
    const s = userManagerSettings(
      { issuer: "http://127.0.0.1:9000", client_id: "rillet-local", audience: null, scopes: ["openid", "rillet:api"], cli_redirect_uri: null },
      "http://127.0.0.1:8787",
    );
    expect(s.authority).toBe("http://127.0.0.1:9000");
    expect(s.client_id).toBe("rillet-local");
    expect(s.scope).toBe("openid rillet:api");
    expect(s.redirect_uri).toBe("http://127.0.0.1:8787/callback");
    expect(s.post_logout_redirect_uri).toBe("http://127.0.0.1:8787/logout");
    expect(s.response_type).toBe("code");
  });
});

describe("fallbackLogoutUrl", () => {
  it("builds Cognito's hosted UI logout URL", () => {
    const url = fallbackLogoutUrl("https://auth.example.org/oauth2/authorize", "abc", "https://conda.example.org");
    expect(url).toBe("https://auth.example.org/logout?client_id=abc&logout_uri=https%3A%2F%2Fconda.example.org%2Flogout");
  });
  it("gives up on other providers", () => {
    expect(fallbackLogoutUrl("https://idp.example.org/authorize", "abc", "https://x")).toBeNull();
    expect(fallbackLogoutUrl(undefined, "abc", "https://x")).toBeNull();
  });
});
