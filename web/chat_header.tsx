/** The open chat's header: the way back, the name, presence, and for a group its details. */
import { Dot } from "./components.tsx";
import { GroupDetails } from "./group_settings.tsx";
import { lastSeen } from "./relative_time.ts";
import type { Session } from "./session.ts";
import { type Conversation, type State, title } from "./state.ts";

/** The header of a conversation. */
export function ChatHeader({ state, conv, session }: {
  state: State;
  conv: Conversation;
  session: Session;
}) {
  const back = (
    <button
      type="button"
      class="back ghost"
      aria-label="Back to the list"
      onClick={() => session.dispatch({ type: "close_chat" })}
    >
      ‹
    </button>
  );
  if (conv.type === "user") {
    return (
      <header class="chat-header">
        {back}
        <PeerHeading state={state} conv={conv} session={session} />
      </header>
    );
  }
  const groupId = conv.id.slice(2);
  const entry = state.groups.get(groupId);
  const online = entry?.onlineCount ?? 0;
  return (
    <header class="chat-header">
      {back}
      <h2 class="chat-title" title={title(state, conv)}>{title(state, conv)}</h2>
      <span class="presence" data-online-count={String(online)}>
        {`${entry?.group.memberCount ?? state.members.length} members, ${online} online`}
      </span>
      <button
        type="button"
        class="ghost"
        aria-expanded={state.showMembers}
        aria-controls="group-details"
        onClick={() => {
          session.dispatch({ type: "toggle_members" });
          // Nicknames of members who are not friends change without an event: read them again.
          if (session.state.showMembers) void session.loadMembers();
        }}
      >
        Members
      </button>
      {entry && (
        <button
          type="button"
          class="ghost"
          onClick={async () => {
            if (!confirm(`Leave ${entry.group.name}?`)) return;
            await session.leave(groupId);
          }}
        >
          Leave
        </button>
      )}
      {state.showMembers && entry && (
        <GroupDetails state={state} group={entry.group} session={session} />
      )}
    </header>
  );
}

/** The name over the friend's presence ("last seen …" when the server says), then Unfriend. */
function PeerHeading({ state, conv, session }: {
  state: State;
  conv: Conversation;
  session: Session;
}) {
  const friend = conv.peer ? state.friends.get(conv.peer.id) : undefined;
  const seen = friend && !friend.online ? lastSeen(friend.user.lastSeenAt) : "";
  return (
    <>
      <div class="chat-heading">
        <h2 class="chat-title" title={title(state, conv)}>{title(state, conv)}</h2>
        {friend
          ? (
            <span class="presence">
              <Dot online={friend.online} />
              <span class="presence-text">{friend.online ? "online" : seen || "offline"}</span>
            </span>
          )
          : <span class="presence muted">Not a friend</span>}
      </div>
      {friend && (
        <button
          type="button"
          class="ghost"
          onClick={async () => {
            const { user } = friend;
            if (!confirm(`Remove ${user.nickname} (@${user.username}) from your friends?`)) return;
            // Already gone (removed from the other side) ends the same way: the list says.
            await session.client.removeFriend(user.id).catch(() => {});
            await session.loadFriends();
          }}
        >
          Unfriend
        </button>
      )}
    </>
  );
}
