/**
 * The state of group administration and blocking (issue 16): who may do what in a group, the
 * pending join requests the owner and admins see, the groups this user asked to join, a group
 * the user is no longer in, the member changed by an action, the person screen and the blocked
 * users. Pure functions, called by `reduce()` in state.ts.
 */
import type { Group, GroupMember, GroupRole, JoinRequest, User } from "../shared/types.ts";
import type { State } from "./state.ts";

/** How long "Mute for 1 hour" and "Mute for 1 day" mute (ms). */
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
/**
 * "Mute until unmuted": the furthest the server takes is a year and a day ahead
 * (`muteMaxMs`); a year is inside it, whatever the clocks' skew.
 */
export const UNTIL_UNMUTED_MS = 365 * DAY_MS;
/** A mute ending further ahead than this reads "until unmuted" rather than a date. */
export const LONG_MUTE_MS = 300 * DAY_MS;

/** What can happen to group administration and blocks. */
export type GroupAdminEvent =
  /** The pending join requests of a group, as the server listed them. */
  | { type: "join_requests"; groupId: string; requests: JoinRequest[] }
  /** A new join request (live, to owner and admins). */
  | { type: "join_request"; request: JoinRequest }
  /** A join request was accepted, rejected, or closed by the requester joining. */
  | { type: "join_request_closed"; groupId: string; requestId: string }
  /** This user asked to join an `approval` group: "Request sent" until they are let in. */
  | { type: "join_asked"; groupId: string }
  /**
   * This user is no longer in a group: its chat closes, it leaves the lists, and unless they
   * left from this page, a notice says why.
   */
  | {
    type: "group_removed";
    groupId: string;
    reason: "left" | "removed" | "disbanded";
    quiet?: boolean;
  }
  /** A member of the open group as an action left them (role, mute). */
  | { type: "member"; groupId: string; member: GroupMember }
  /** The users this user blocked, latest first. */
  | { type: "blocked"; users: User[] }
  /** The person screen: shown for a user, or closed (null). */
  | { type: "person"; user: User | null };

/** What a notice says when the user is no longer in group `name`. */
export function removedNotice(name: string, reason: "left" | "removed" | "disbanded"): string {
  switch (reason) {
    case "removed":
      return `You were removed from “${name}”.`;
    case "disbanded":
      return `“${name}” was disbanded by its owner.`;
    case "left":
      return `You left “${name}”.`;
  }
}

/** The state after a group administration or block event. */
export function reduceGroupAdmin(state: State, event: GroupAdminEvent): State {
  switch (event.type) {
    case "join_requests": {
      const joinRequests = new Map(state.joinRequests).set(event.groupId, event.requests);
      return { ...state, joinRequests };
    }
    case "join_request": {
      const { request } = event;
      const here = state.joinRequests.get(request.groupId) ?? [];
      if (here.some((r) => r.id === request.id)) return state;
      const joinRequests = new Map(state.joinRequests).set(request.groupId, [...here, request]);
      return { ...state, joinRequests };
    }
    case "join_request_closed": {
      const here = state.joinRequests.get(event.groupId);
      if (!here?.some((r) => r.id === event.requestId)) return state;
      const left = here.filter((r) => r.id !== event.requestId);
      return { ...state, joinRequests: new Map(state.joinRequests).set(event.groupId, left) };
    }
    case "join_asked":
      return state.joinAsked.has(event.groupId)
        ? state
        : { ...state, joinAsked: new Set(state.joinAsked).add(event.groupId) };
    case "group_removed":
      return onGroupRemoved(state, event);
    case "member": {
      if (state.active !== `g:${event.groupId}`) return state;
      const { member } = event;
      const members = state.members.map((m) => m.user.id === member.user.id ? member : m);
      return { ...state, members };
    }
    case "blocked":
      return { ...state, blocked: event.users };
    case "person":
      return { ...state, person: event.user };
  }
}

function onGroupRemoved(
  state: State,
  { groupId, reason, quiet }: Extract<GroupAdminEvent, { type: "group_removed" }>,
): State {
  const id = `g:${groupId}`;
  const entry = state.groups.get(groupId);
  const conv = state.conversations.get(id);
  if (!entry && !conv) return state;
  const name = entry?.group.name ?? conv?.group?.name ?? "the group";
  const groups = new Map(state.groups);
  groups.delete(groupId);
  const conversations = new Map(state.conversations);
  conversations.delete(id);
  // Its history is closed to this user now: none of it stays on the page.
  const messages = new Map(state.messages);
  messages.delete(id);
  const joinRequests = new Map(state.joinRequests);
  joinRequests.delete(groupId);
  const open = state.active === id;
  // Once out, a request sent before is over too: the search offers to join again.
  const joinAsked = new Set(state.joinAsked);
  joinAsked.delete(groupId);
  return {
    ...state,
    groups,
    joinAsked,
    conversations,
    messages,
    joinRequests,
    ...(open ? { active: null, members: [], showMembers: false } : {}),
    notice: quiet ? state.notice : removedNotice(name, reason),
  };
}

/** A member's role, the owner's taken from the group (the member list may be older). */
export function roleOf(group: Group, members: GroupMember[], userId: string): GroupRole | null {
  if (group.ownerId === userId) return "owner";
  const role = members.find((m) => m.user.id === userId)?.role;
  return role === undefined ? null : role === "owner" ? "admin" : role;
}

/** What the user may do to one member, by the contract's permissions (the server decides). */
export interface MemberRights {
  /** Make admin / remove admin: the owner, on anyone but themself. */
  role: boolean;
  /** Mute and unmute: the owner on anyone else, an admin on plain members. */
  mute: boolean;
  /** Remove: the owner anyone else, an admin plain members. */
  remove: boolean;
  /** Make the owner: the owner, to anyone else. */
  transfer: boolean;
}

/** What `me` may do to `target` in `group`. */
export function rightsOver(
  group: Group,
  members: GroupMember[],
  me: string,
  target: string,
): MemberRights {
  const mine = roleOf(group, members, me);
  const theirs = roleOf(group, members, target);
  const owner = mine === "owner" && target !== me;
  const overPlain = (owner || mine === "admin") && theirs === "member";
  return {
    role: owner,
    mute: owner || overPlain,
    remove: owner || overPlain,
    transfer: owner,
  };
}

/** Whether the user may change the group's settings (name, picture, notice, policies, mute). */
export function mayEdit(group: Group, members: GroupMember[], me: string): boolean {
  const role = roleOf(group, members, me);
  return role === "owner" || role === "admin";
}

/** Why the user cannot send in a group right now, or null when they can. */
export function sendBlock(
  group: Group,
  members: GroupMember[],
  me: string,
  now: number,
): { kind: "member"; until: number } | { kind: "group" } | null {
  const self = members.find((m) => m.user.id === me);
  if (self?.mutedUntil && self.mutedUntil > now) return { kind: "member", until: self.mutedUntil };
  if (group.muted && roleOf(group, members, me) === "member") return { kind: "group" };
  return null;
}
