// The last-owner rule (docs/api.md, Members): a channel always keeps an owner, so the
// API refuses (409 last-owner) removing or demoting the only one. The page says so
// before anyone tries, next to the controls it disables.

export type Role = "owner" | "maintainer" | "member";
export const ROLES: readonly Role[] = ["owner", "maintainer", "member"];

export const ROLE_HELP: Record<Role, string> = {
  owner: "everything: settings, members, trusted publishers, audit log, delete",
  maintainer: "upload, delete and yank packages; see members",
  member: "read and install packages (for private channels)",
};

export interface MemberLike {
  user: string;
  role: string;
  added_by?: string | null;
  added_at?: string | null;
}

export function ownerCount(members: readonly MemberLike[]): number {
  return members.filter((member) => member.role === "owner").length;
}

/** True when `member` is the channel's only owner: it can be neither removed nor demoted. */
export function isLastOwner(member: MemberLike, members: readonly MemberLike[]): boolean {
  return member.role === "owner" && ownerCount(members) <= 1;
}

export const LAST_OWNER_EXPLANATION =
  "A channel always keeps an owner, so its only owner cannot be removed or given a lower role. " +
  "Make someone else an owner first (or transfer the channel in Settings).";

/** Members sorted as the API sorts them: by role (owner first), then by user. */
export function sortMembers<T extends MemberLike>(members: readonly T[]): T[] {
  const rank = (role: string) => {
    const index = ROLES.indexOf(role as Role);
    return index < 0 ? ROLES.length : index;
  };
  return [...members].sort((a, b) => rank(a.role) - rank(b.role) || a.user.localeCompare(b.user));
}

/** A user-search query the API accepts (1-39 of a-z 0-9 - _), or null to not ask. */
export function searchQuery(text: string): string | null {
  const query = text.trim().toLowerCase();
  return /^[a-z0-9_-]{1,39}$/.test(query) ? query : null;
}
