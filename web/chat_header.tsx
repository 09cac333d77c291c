/** The open chat's header: the way back, the name, presence, and for a group its members. */
import { Dot } from "./components.tsx";
import type { Session } from "./session.ts";
import { type Conversation, type State, title } from "./state.ts";

/** After an owner's name, with the space JSX would trim. */
const OWNER = " (owner)";

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
    const friend = conv.peer ? state.friends.get(conv.peer.id) : undefined;
    return (
      <header class="chat-header">
        {back}
        <h2 class="chat-title">{title(state, conv)}</h2>
        {friend && (
          <span class="presence">
            <Dot online={friend.online} />
            {friend.online ? "online" : "offline"}
          </span>
        )}
      </header>
    );
  }
  const groupId = conv.id.slice(2);
  const entry = state.groups.get(groupId);
  const online = entry?.onlineCount ?? 0;
  return (
    <header class="chat-header">
      {back}
      <h2 class="chat-title">{title(state, conv)}</h2>
      <span class="presence" data-online-count={String(online)}>
        {`${entry?.group.memberCount ?? state.members.length} members, ${online} online`}
      </span>
      <button
        type="button"
        class="ghost"
        aria-expanded={state.showMembers}
        aria-controls="members"
        onClick={() => session.dispatch({ type: "toggle_members" })}
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
      <ul class="members" id="members" hidden={!state.showMembers}>
        {state.members.map((m) => (
          <li key={m.user.id}>
            {m.online !== undefined && <Dot online={m.online} />}
            {m.user.nickname} <span class="handle">{`@${m.user.username}`}</span>
            {m.role === "owner" && <span class="muted">{OWNER}</span>}
          </li>
        ))}
      </ul>
    </header>
  );
}
