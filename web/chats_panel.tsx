/** The Chats tab: conversations, newest first, with their last message and unread count. */
import { Avatar, Badge, Names, when } from "./components.tsx";
import type { Session } from "./session.ts";
import { type Conversation, type State, title } from "./state.ts";

/** The list of conversations. */
export function ChatsPanel({ state, session }: { state: State; session: Session }) {
  const list = [...state.conversations.values()]
    // A group shows from the moment one is in it, before anyone writes.
    .filter((c) => c.lastMessage || c.id === state.active || c.type === "group")
    .sort((a, b) => (b.lastMessage?.sentAt ?? Infinity) - (a.lastMessage?.sentAt ?? Infinity));
  if (list.length === 0) {
    return <p class="empty">No conversations yet. Add a friend or join a group to start.</p>;
  }
  return (
    <ul class="conversations">
      {list.map((conv) => (
        <ConversationItem key={conv.id} state={state} conv={conv} session={session} />
      ))}
    </ul>
  );
}

function ConversationItem({ state, conv, session }: {
  state: State;
  conv: Conversation;
  session: Session;
}) {
  const last = conv.lastMessage;
  const preview = last
    ? `${last.from === state.me.id ? "You: " : ""}${
      last.content.type === "text" ? last.content.text : "[image]"
    }`
    : "";
  const name = title(state, conv);
  const active = conv.id === state.active;
  return (
    <li>
      <button
        type="button"
        class={`conversation${active ? " active" : ""}`}
        data-conversation={conv.id}
        aria-current={active ? "true" : undefined}
        onClick={() => void session.open(conv.id)}
      >
        <Avatar
          who={conv.type === "group"
            ? { name, avatar: conv.group?.avatar ?? null }
            : { nickname: name, avatar: conv.peer?.avatar ?? null }}
        />
        <Names name={name} line={preview} />
        <span class="conv-meta">
          {last ? when(last.sentAt) : ""}
          <Badge count={conv.unread} label={`${conv.unread} unread`} unread />
        </span>
      </button>
    </li>
  );
}
