// The API answers errors as {"error": code, "message": text} (plain text
// "code: message" under /api/v1/upload/ and /api/oidc/). These turn any failure into
// an ApiError whose `message` is a sentence for people, and keep `code` to match on.

export class ApiError extends Error {
  readonly status: number;
  /** the API's stable reason code, or `network-error` / `unexpected-response` */
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

const BY_STATUS: Record<number, string> = {
  400: "The request was not accepted.",
  401: "You need to sign in to do this.",
  403: "You are not allowed to do this.",
  404: "Not found.",
  409: "This conflicts with something that already exists.",
  413: "This is too large.",
  422: "This value is not accepted.",
  429: "Too many requests: wait a moment and try again.",
  503: "The service is unavailable right now: try again in a moment.",
};

/** Sentences that say more than the API's message, or say what to do next. */
const BY_CODE: Record<string, string> = {
  "invalid-session": "Your sign-in has ended. Sign in again.",
  "sessions-disabled": "This deployment has no sign-in.",
  "username-required": "Choose a username first.",
  "account-suspended": "This account is suspended.",
};

function statusText(status: number): string {
  return BY_STATUS[status] ?? (status >= 500 ? "The server failed. Try again later." : `The request failed (HTTP ${status}).`);
}

function ensureSentence(text: string): string {
  const t = text.trim();
  if (!t) return t;
  // Capitalize a plain first word, never an identifier ("logo_url must…", "'api' is…").
  const first = /^[a-z]+(?=[\s,.;:]|$)/.test(t) ? t.charAt(0).toUpperCase() + t.slice(1) : t;
  return /[.!?:)]$/.test(first) ? first : `${first}.`;
}

/** Build the ApiError for a response's status and body text (pure: tested). */
export function errorFromBody(status: number, bodyText: string, contentType = ""): ApiError {
  const text = bodyText.trim();
  if (contentType.includes("json") || text.startsWith("{")) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === "object") {
        const { error, message } = parsed as { error?: unknown; message?: unknown };
        const code = typeof error === "string" && error ? error : `http-${status}`;
        const said = typeof message === "string" && message.trim() ? ensureSentence(message) : "";
        return new ApiError(status, code, BY_CODE[code] ?? (said || statusText(status)));
      }
    } catch {
      // not JSON after all: fall through to the plain-text forms
    }
  }
  const plain = /^([a-z0-9]+(?:-[a-z0-9]+)*): (.+)$/s.exec(text);
  if (plain && plain[1] && plain[2]) {
    return new ApiError(status, plain[1], BY_CODE[plain[1]] ?? ensureSentence(plain[2]));
  }
  // An HTML error page from a proxy or the CDN says nothing useful to people.
  return new ApiError(status, `http-${status}`, statusText(status));
}

/** Turn anything thrown (ApiError, fetch's TypeError, ...) into words. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof TypeError) return "Could not reach the server. Check your connection and try again.";
  if (err instanceof Error && err.message) return ensureSentence(err.message);
  return "Something went wrong.";
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.status === 404;
}
