// A development OpenID Provider for the local stack, built on oidc-provider (a
// certified implementation): discovery, JWKS, authorization code + PKCE (S256 only),
// refresh tokens, and JWT access tokens for the API (RFC 9068, via resource
// indicators). The sign-in page takes any username and no password: it is for
// 127.0.0.1 only. Configuration comes from the environment (infra/local/oidc.py);
// once listening, one JSON line on stdout says where.
import crypto from "node:crypto";
import http from "node:http";
import Provider from "oidc-provider";

const host = "127.0.0.1";
const port = Number(process.env.OIDC_PORT || 0);
const clientId = process.env.OIDC_CLIENT_ID || "rillet-local";
const audience = process.env.OIDC_AUDIENCE || "http://127.0.0.1/api";
const apiScope = process.env.OIDC_API_SCOPE || "rillet:api";
const redirectUris = (process.env.OIDC_REDIRECT_URIS || "http://127.0.0.1/callback")
  .split(",")
  .filter(Boolean);
// Where a sign-out may return (the web app's landing pages); the callbacks as well.
const postLogoutUris = (process.env.OIDC_POST_LOGOUT_URIS || "")
  .split(",")
  .filter(Boolean)
  .concat(redirectUris);
const accessTokenTtl = Number(process.env.OIDC_ACCESS_TOKEN_TTL || 3600);
const USERNAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

// Fresh signing key and cookie secret per run: state lives in memory, like the stack's.
const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: "jwk" }), kid: "local-1", alg: "RS256", use: "sig" };

const server = http.createServer();
await new Promise((resolve) => server.listen(port, host, resolve));
const issuer = `http://${host}:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      // A public client (no secret), "native" so that loopback redirects may use any
      // port (RFC 8252 7.3) for `rillet login`; the web app's callback is listed too.
      application_type: "native",
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      redirect_uris: redirectUris,
      post_logout_redirect_uris: postLogoutUris,
    },
  ],
  jwks: { keys: [jwk] },
  cookies: { keys: [crypto.randomBytes(32).toString("hex")] },
  // The web app's token requests are cross-origin: its callback's origin, or any
  // loopback port (its dev server), as for the native client's redirects.
  clientBasedCORS: (ctx, origin, client) =>
    client.redirectUris.some((uri) => new URL(uri).origin === origin) ||
    /^http:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d+$/.test(origin),
  pkce: { required: () => true }, // S256 is the only method oidc-provider accepts
  scopes: ["openid", "email", "profile", "offline_access", apiScope],
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["preferred_username"],
  },
  features: {
    devInteractions: { enabled: false }, // our own plain page below
    revocation: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => audience,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resource) => {
        if (resource !== audience) throw new Error("unknown resource");
        return {
          scope: apiScope,
          audience,
          accessTokenTTL: accessTokenTtl,
          accessTokenFormat: "jwt",
          jwt: { sign: { alg: "RS256" } },
        };
      },
    },
  },
  // Refresh tokens for every sign-in of a client allowed to refresh (as Cognito does).
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed("refresh_token"),
  ttl: { AccessToken: accessTokenTtl, RefreshToken: 14 * 24 * 3600 },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          preferred_username: id,
          email: `${id}@users.localhost`,
          email_verified: true,
        };
      },
    };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
});

// Browsers apply form-action to the redirects after the sign-in form too: allow the
// clients' callbacks (loopback on any port, RFC 8252), or the app never gets its code.
const formAction = [
  "'self'",
  ...new Set(
    redirectUris.map((uri) => {
      const u = new URL(uri);
      return ["127.0.0.1", "localhost", "[::1]"].includes(u.hostname) ? `${u.protocol}//${u.hostname}:*` : u.origin;
    }),
  ),
].join(" ");

const escape = (s) =>
  String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res, status, body) {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "content-security-policy": `default-src 'none'; style-src 'unsafe-inline'; form-action ${formAction}`,
  });
  res.end(`<!doctype html><html><head><meta charset="utf-8"><title>Rillet local sign-in</title>
<style>body{font:16px system-ui;max-width:28rem;margin:4rem auto}input,button{font:inherit}</style>
</head><body>${body}</body></html>`);
}

async function readForm(req) {
  let data = "";
  for await (const chunk of req) {
    data += chunk;
    if (data.length > 4096) throw new Error("form too large");
  }
  return new URLSearchParams(data);
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params } = details;
  const submitted = req.method === "POST";
  if (prompt.name === "login") {
    if (!submitted) {
      return page(
        res,
        200,
        `<h1>Rillet local sign-in</h1>
<p>Development only: any username signs in, no password. The username becomes the
account's <code>sub</code>; you choose your Rillet username afterwards.</p>
<form method="post" action="/interaction/${escape(uid)}">
<label>Username <input name="username" autofocus required pattern="[a-z0-9][a-z0-9._\\-]{0,63}"></label>
<button type="submit">Sign in</button></form>`,
      );
    }
    const username = ((await readForm(req)).get("username") || "").trim().toLowerCase();
    if (!USERNAME.test(username)) {
      return page(res, 400, "<p>Use lower-case letters, digits, '.', '-' or '_'.</p>");
    }
    return provider.interactionFinished(req, res, { login: { accountId: username } }, {
      mergeWithLastSubmission: false,
    });
  }
  // Consent: a development provider grants what the client asked for, at once.
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
  const missing = details.prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes || {})) {
    grant.addResourceScope(resource, scopes.join(" "));
  }
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, { consent: { grantId } }, {
    mergeWithLastSubmission: true,
  });
}

const callback = provider.callback();
server.on("request", (req, res) => {
  const path = new URL(req.url, issuer).pathname;
  if (path.startsWith("/interaction/")) {
    interaction(req, res).catch((err) => page(res, 400, `<p>${escape(err.message)}</p>`));
    return;
  }
  callback(req, res);
});

process.stdout.write(`${JSON.stringify({ issuer, client_id: clientId, audience })}\n`);
// The parent holds our stdin open: when it exits, however it dies, so do we.
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
