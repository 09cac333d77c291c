/**
 * Ranks of group roles, for rules that compare them (PROTOCOL.md, Version 2,
 * Groups: owner > admin > member). The store's roles are `owner` and `member`
 * until admins arrive; a stored `admin` already ranks as one.
 */

/** A role's rank: owner 2, admin 1, member 0; -1 for a non-member (null). */
export function roleRank(role: string | null): number {
  if (role === "owner") return 2;
  if (role === "admin") return 1;
  return role === null ? -1 : 0;
}

/** Whether a role may moderate (recall others' messages, mention everyone). */
export function isModerator(role: string | null): boolean {
  return roleRank(role) >= 1;
}
