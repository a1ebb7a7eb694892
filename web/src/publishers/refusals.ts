// Refused mint attempts per publisher, from the channel's audit log
// (trusted-publishing.refused: {"publisher": id, "check": what failed, ...claims}).
import type { AuditEventLike } from "../audit/describe";

export interface Refusal {
  at: string;
  check: string;
  /** who tried: the repository / project and ref, when the event names them */
  from: string | null;
}

/** What each failed check means for the owner (rillet.core.oidc ClaimCheck names). */
export const REFUSAL_CHECKS: Record<string, string> = {
  repository: "the token came from another repository",
  owner: "the repository's owner did not match",
  "owner-id": "the owner id did not match (renamed or re-registered owner?)",
  workflow: "the job ran another workflow file",
  environment: "the job did not run in the configured environment",
  project: "the token came from another project",
  "config-path": "the pipeline ran another CI config file",
  "namespace-id": "the namespace id did not match",
  "project-id": "the project id did not match",
  "replayed-jti": "the same CI token was used twice",
};

function text(value: unknown): string | null {
  return typeof value === "string" && value ? value : null;
}

/** Newest first (as the audit log is), grouped by publisher id. */
export function refusalsByPublisher(events: readonly AuditEventLike[]): Map<string, Refusal[]> {
  const out = new Map<string, Refusal[]>();
  for (const event of events) {
    if (event.action !== "trusted-publishing.refused") continue;
    const d = event.details ?? {};
    const id = text(d.publisher);
    if (!id) continue;
    const who = text(d.repository) ?? text(d.project_path);
    const ref = text(d.workflow_ref) ?? text(d.ci_config_ref_uri) ?? text(d.ref);
    const from = who && ref && !ref.startsWith(who) ? `${who}, ${ref}` : ref ?? who;
    const list = out.get(id) ?? [];
    list.push({ at: event.at, check: text(d.check) ?? "unknown", from });
    out.set(id, list);
  }
  return out;
}
