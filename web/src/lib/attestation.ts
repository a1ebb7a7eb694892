// What the package page says about a file's CEP-27 attestation (pure: tested).
//
// Every field comes from the API, which read it from a signing certificate that CI
// asked for: a link is only built from parts we check (https on the provider's own
// host, names of the expected form), never taken as given, so a crafted value cannot
// become a javascript: (or any other) link on the page.
import type { Attestation } from "../api/types";

export interface Link {
  text: string;
  /** null: shown as text only */
  href: string | null;
}

export interface AttestationView {
  /** "attested by acme/alpha .github/workflows/release.yml at 193b5bd", for people and screen readers */
  headline: string;
  provider: Attestation["provider"];
  /** owner/repository or group/project (GitHub, GitLab) */
  repository: Link | null;
  workflow: string | null;
  /** the short commit as text, the full one in `full` */
  commit: (Link & { full: string }) | null;
  /** Google: the service account's email; else the certificate's subject */
  identity: string;
  /** refs/tags/v1.0 -> {label: "tag", name: "v1.0"}; refs/heads/main -> branch main */
  ref: RefParts | null;
  run: string | null;
  signedAt: string | null;
  logEntry: Link | null;
  /** the .sigs document, a path on this site; null when the API's path is not one */
  sigs: string | null;
}

const GITHUB_HOST = "github.com";
// Sigstore's public-good transparency log, the one the shipped trust root names.
const REKOR_SEARCH = "https://search.sigstore.dev/";
const SHORT_COMMIT = 7;

const GITHUB_REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
// GitLab: a project path is group(/subgroup)*/project.
const GITLAB_PROJECT = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/;
const COMMIT = /^[0-9a-f]{7,64}$/i;
const SIGS_SEGMENT = /^[A-Za-z0-9_.+!=-]+$/;

function httpsUrl(value: string | null | undefined): URL | null {
  if (typeof value !== "string" || value === "") return null;
  try {
    const u = new URL(value);
    return u.protocol === "https:" && u.username === "" && u.password === "" ? u : null;
  } catch {
    return null;
  }
}

/** The web host of the provider that signed: github.com, or the GitLab instance of the issuer. */
export function providerHost(a: Pick<Attestation, "provider" | "issuer">): string | null {
  if (a.provider === "github") return GITHUB_HOST;
  if (a.provider === "gitlab") return httpsUrl(a.issuer)?.host ?? null;
  return null;
}

function repositoryOk(a: Attestation): boolean {
  const r = a.repository;
  if (!r || r.split("/").some((s) => s === "." || s === "..")) return false;
  return a.provider === "github" ? GITHUB_REPOSITORY.test(r) : a.provider === "gitlab" && GITLAB_PROJECT.test(r);
}

/** https://<host>/<repository>, or null when it cannot be built safely. */
export function repositoryUrl(a: Attestation): string | null {
  const host = providerHost(a);
  if (!host || !repositoryOk(a)) return null;
  return `https://${host}/${a.repository!}`;
}

/** The CI run, only when it is an https URL on the provider's host within the repository. */
export function runUrl(a: Attestation): string | null {
  const host = providerHost(a);
  const repo = repositoryUrl(a);
  const u = httpsUrl(a.run);
  if (!host || !repo || !u || u.host !== host) return null;
  return u.pathname.startsWith(`/${a.repository!}/`) ? u.toString() : null;
}

export function commitUrl(a: Attestation): string | null {
  const repo = repositoryUrl(a);
  if (!repo || !a.commit || !COMMIT.test(a.commit)) return null;
  return a.provider === "gitlab" ? `${repo}/-/commit/${a.commit}` : `${repo}/commit/${a.commit}`;
}

export function shortCommit(commit: string): string {
  return COMMIT.test(commit) ? commit.slice(0, SHORT_COMMIT) : commit;
}

export interface RefParts {
  label: "tag" | "branch" | "ref";
  name: string;
}

/** refs/tags/v1 -> tag v1, refs/heads/main -> branch main, else ref as given. */
export function refParts(ref: string | null | undefined): RefParts | null {
  if (!ref) return null;
  if (ref.startsWith("refs/tags/") && ref.length > 10) return { label: "tag", name: ref.slice(10) };
  if (ref.startsWith("refs/heads/") && ref.length > 11) return { label: "branch", name: ref.slice(11) };
  return { label: "ref", name: ref };
}

/** The transparency log's search page for the entry (a plain number: nothing else goes in). */
export function logEntryUrl(index: number | null | undefined): string | null {
  if (typeof index !== "number" || !Number.isSafeInteger(index) || index < 0) return null;
  return `${REKOR_SEARCH}?logIndex=${index}`;
}

/**
 * The site path of the file's .sigs document: the API's path (relative to the channel
 * root, e.g. mychan/noarch/alpha-1.0-h0_0.conda.sigs) when it is one in this channel.
 */
export function sigsPath(sigs: string | null | undefined, channel: string): string | null {
  if (!sigs) return null;
  const segments = sigs.split("/");
  if (segments.length < 3 || segments[0] !== channel) return null;
  if (segments.some((s) => !SIGS_SEGMENT.test(s) || s === "." || s === "..")) return null;
  if (!/\.sigs(\.[0-9a-f]{64})?$/.test(sigs)) return null;
  return `/${segments.map(encodeURIComponent).join("/")}`;
}

export function describeAttestation(a: Attestation, channel: string): AttestationView {
  const repoHref = repositoryUrl(a);
  const repository = a.repository ? { text: a.repository, href: repoHref } : null;
  const commit = a.commit ? { text: shortCommit(a.commit), full: a.commit, href: commitUrl(a) } : null;
  let headline: string;
  if (a.provider === "google") {
    headline = `attested by ${a.identity}`;
  } else {
    const who = [a.repository, a.workflow].filter(Boolean).join(" ") || a.identity;
    headline = `attested by ${who}${commit ? ` at ${commit.text}` : ""}`;
  }
  const logHref = logEntryUrl(a.log_index);
  return {
    headline,
    provider: a.provider,
    repository,
    workflow: a.workflow ?? null,
    commit,
    identity: a.identity,
    ref: refParts(a.ref),
    run: runUrl(a),
    signedAt: a.integrated_time ?? null,
    logEntry: logHref !== null ? { text: `#${a.log_index!}`, href: logHref } : null,
    sigs: sigsPath(a.sigs, channel),
  };
}
