// The API's name rules, checked as people type (the API checks again: core/names.py
// and core/accounts.py hold the originals).

export const RESERVED_CHANNEL_NAMES: ReadonlySet<string> = new Set([
  "api", "t", "_s3", "admin", "static", "assets", "docs", "login", "logout", "health",
  "healthz", "upload", "uploads", "staging", "channels", "account", "callback", "users",
  "settings", "robots.txt", "favicon.ico", "well-known", "get", "conda", "noarch", "new",
]);

export const RESERVED_USER_NAMES: ReadonlySet<string> = new Set([
  "admin", "me", "root", "system", "rillet", "anonymous", "operator", "support", "security",
  "account", "api", "assets", "callback", "channels", "login", "logout", "signup",
  "settings", "static", "t", "users", "search", "new", "docs", "help", "well-known",
]);

const CHARS = /^[a-z0-9_-]*$/;

/** Why `name` cannot be a channel name, in words; null when it can. */
export function channelNameProblem(name: string): string | null {
  return nameProblem(name, 50, RESERVED_CHANNEL_NAMES, "channel");
}

/** Why `name` cannot be a username, in words; null when it can. */
export function userNameProblem(name: string): string | null {
  return nameProblem(name, 39, RESERVED_USER_NAMES, "username");
}

function nameProblem(name: string, max: number, reserved: ReadonlySet<string>, what: string): string | null {
  if (name.length === 0) return `Enter a ${what}.`;
  if (name.length > max) return `A ${what} is at most ${max} characters (this one has ${name.length}).`;
  if (/[A-Z]/.test(name)) return `Use lower-case letters: a ${what} has no capitals.`;
  if (!CHARS.test(name)) {
    const bad = [...new Set([...name].filter((c) => !/[a-z0-9_-]/.test(c)))]
      .map((c) => (c === " " ? "space" : `“${c}”`))
      .join(", ");
    return `Only lower-case letters, digits, “-” and “_” are allowed (not ${bad}).`;
  }
  if (!/^[a-z0-9]/.test(name)) return `A ${what} starts with a letter or digit.`;
  if (!/[a-z0-9]$/.test(name)) return `A ${what} ends with a letter or digit.`;
  if (reserved.has(name)) return `“${name}” is reserved: choose another ${what}.`;
  return null;
}

/** A logo URL the API accepts: empty, or https:// and at most 500 characters. */
export function logoUrlProblem(url: string): string | null {
  const u = url.trim();
  if (!u) return null;
  if (u.length > 500) return "A logo URL is at most 500 characters.";
  let parsed: URL;
  try {
    parsed = new URL(u);
  } catch {
    return "Enter a full URL starting with https://.";
  }
  if (parsed.protocol !== "https:") return "The logo URL must start with https://.";
  return null;
}
