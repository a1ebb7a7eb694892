// Audit events in words: what happened and to what (docs/api.md, Audit log).

export interface AuditEventLike {
  at: string;
  actor: string;
  action: string;
  details?: Record<string, unknown> | null;
}

const ACTIONS: Record<string, string> = {
  "package.upload": "uploaded a package",
  "package.overwrite": "replaced a package",
  "package.delete": "deleted a package",
  "package.yank": "yanked a package",
  "package.unyank": "unyanked a package",
  "package.unindexed": "left a package out of the index",
  "member.add": "added a member",
  "member.change": "changed a member's role",
  "member.remove": "removed a member",
  "channel.update": "updated the channel",
  "channel.visibility": "changed the visibility",
  "channel.transfer": "transferred the channel",
  "channel.reindex": "rebuilt the index",
  "publisher.add": "added a trusted publisher",
  "publisher.remove": "removed a trusted publisher",
  "trusted-publishing.mint": "CI got an upload token",
  "trusted-publishing.refused": "refused a CI token",
};

export const KNOWN_ACTIONS: readonly string[] = Object.keys(ACTIONS);

export function actionWords(action: string): string {
  return ACTIONS[action] ?? action;
}

function str(value: unknown): string | null {
  return typeof value === "string" && value ? value : typeof value === "number" ? String(value) : null;
}

/** The thing acted on: a file, a user, a publisher, a setting. */
export function auditTarget(event: AuditEventLike): string {
  const d = event.details ?? {};
  const file = str(d.filename);
  if (file) return str(d.subdir) ? `${str(d.subdir)}/${file}` : file;
  const user = str(d.user) ?? str(d.member);
  if (user) return str(d.role) ? `${user} (${str(d.role)})` : user;
  if (event.action === "channel.transfer") {
    const to = str(d.to) ?? str(d.owner);
    if (to) return `to ${to}`;
  }
  const publisher = d.publisher;
  if (typeof publisher === "string" && publisher) {
    const who = str(d.repository) ?? str(d.project_path);
    return who ? `${publisher} (${who})` : publisher;
  }
  if (publisher && typeof publisher === "object") {
    const p = publisher as Record<string, unknown>;
    return str(p.repository) ?? str(p.project) ?? str(p.id) ?? "";
  }
  if (event.action === "publisher.add") {
    const where =
      str(d.repository) && str(d.owner) ? `${str(d.owner)}/${str(d.repository)}` : str(d.namespace) && str(d.project) ? `${str(d.namespace)}/${str(d.project)}` : null;
    if (where) return `${str(d.provider) ?? "publisher"} ${where}`;
  }
  const publisherId = str(d.publisher_id) ?? str(d.id);
  if (publisherId) return publisherId;
  if (event.action === "channel.update" || event.action === "channel.visibility") {
    return Object.keys(d).join(", ");
  }
  const subdirs = d.subdirs;
  if (Array.isArray(subdirs)) return subdirs.join(", ");
  return "";
}

/** The remaining details, one `key: value` per entry, for the Details column. */
export function auditDetails(event: AuditEventLike): [string, string][] {
  const d = event.details ?? {};
  return Object.entries(d)
    .filter(
      ([, value]) =>
        value !== null && value !== undefined && value !== "" && !(Array.isArray(value) && value.length === 0),
    )
    .map(([key, value]) => {
      if (value && typeof value === "object" && !Array.isArray(value)) {
        const v = value as Record<string, unknown>;
        if ("from" in v || "to" in v) return [key, `${JSON.stringify(v.from)} → ${JSON.stringify(v.to)}`];
      }
      return [key, typeof value === "string" ? value : JSON.stringify(value)];
    });
}
