/**
 * The state changes of friends and groups that arrive live: a withdrawn friend request, a
 * friend's presence with when they were last seen, a group that changed or that the user was
 * just added to. Pure functions, called by `reduce()` in state.ts.
 */
import type { Group, User } from "../shared/types.ts";
import type { State } from "./state.ts";

/** The requests without the one withdrawn by its sender. */
export function withoutRequest(state: State, requestId: string): State {
  const { incoming, outgoing } = state.requests;
  if (![...incoming, ...outgoing].some((r) => r.id === requestId)) return state;
  return {
    ...state,
    requests: {
      incoming: incoming.filter((r) => r.id !== requestId),
      outgoing: outgoing.filter((r) => r.id !== requestId),
    },
  };
}

/**
 * A friend came online or went offline. `lastSeenAt` is kept on the friend's user when the
 * server sends it; coming online clears it (the protocol's null while online).
 */
export function onPresence(
  state: State,
  { userId, online, lastSeenAt }: { userId: string; online: boolean; lastSeenAt?: number | null },
): State {
  const seen = lastSeenAt !== undefined ? lastSeenAt : online ? null : undefined;
  const user = (u: User): User => seen === undefined ? u : { ...u, lastSeenAt: seen };
  const friend = state.friends.get(userId);
  const friends = new Map(state.friends);
  if (friend) friends.set(userId, { user: user(friend.user), online });
  const known = state.users.get(userId);
  return {
    ...state,
    friends,
    users: known ? new Map(state.users).set(userId, user(known)) : state.users,
    members: state.members.map((m) => m.user.id === userId ? { ...m, online } : m),
  };
}

/** A group the user is in changed (name, avatar, members): shown at once. Others are ignored. */
export function onGroupUpdate(state: State, group: Group): State {
  const entry = state.groups.get(group.id);
  if (!entry) return state;
  const conversations = new Map(state.conversations);
  const conv = conversations.get(`g:${group.id}`);
  if (conv) conversations.set(conv.id, { ...conv, group });
  return {
    ...state,
    groups: new Map(state.groups).set(group.id, { ...entry, group }),
    conversations,
  };
}

/** The user is now in `group`: it shows in Groups, and in Chats as an empty conversation. */
export function onGroupJoined(state: State, group: Group): State {
  const id = `g:${group.id}`;
  const groups = state.groups.has(group.id)
    ? state.groups
    : new Map(state.groups).set(group.id, { group, onlineCount: 0 });
  const conversations = state.conversations.has(id)
    ? state.conversations
    : new Map(state.conversations).set(id, {
      id,
      type: "group",
      group,
      lastSeq: 0,
      readSeq: 0,
      unread: 0,
      lastMessage: null,
    });
  return groups === state.groups && conversations === state.conversations
    ? state
    : { ...state, groups, conversations };
}

/** A user's new profile in the open group's member list. */
export function membersWithProfile(state: State, user: User): State["members"] {
  return state.members.some((m) => m.user.id === user.id)
    ? state.members.map((m) => m.user.id === user.id ? { ...m, user } : m)
    : state.members;
}
