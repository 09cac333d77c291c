/** The chat side: a placeholder, or the open conversation with its composer. */
import { useEffect, useRef, useState } from "preact/hooks";
import { ChatHeader } from "./chat_header.tsx";
import { FieldError } from "./components.tsx";
import { MessageList } from "./message_list.tsx";
import { IMAGE_TYPES, type Session } from "./session.ts";
import type { Conversation, State } from "./state.ts";

/** What the chat area shows; images dropped on it are sent to the open conversation. */
export function ChatView({ state, session }: { state: State; session: Session }) {
  const conv = state.active ? state.conversations.get(state.active) : undefined;
  if (!conv) {
    return (
      <main class="chat" aria-label="Chat">
        <div class="placeholder">
          <p>Choose a conversation, or start one from Friends or Groups.</p>
        </div>
      </main>
    );
  }
  // A new conversation starts with a fresh composer (focused) and list (at the bottom).
  return <OpenChat key={conv.id} state={state} conv={conv} session={session} />;
}

function OpenChat({ state, conv, session }: {
  state: State;
  conv: Conversation;
  session: Session;
}) {
  const [error, setError] = useState("");
  const text = useRef<HTMLTextAreaElement>(null);
  useEffect(() => text.current?.focus(), [state.opened]);
  const sendFiles = (files: Iterable<File>) => {
    for (const f of files) void session.sendImage(f, setError);
  };
  const submit = async () => {
    const area = text.current!;
    const value = area.value;
    if (!value.trim()) return;
    area.value = "";
    setError("");
    await session.sendText(value);
  };
  return (
    <main
      class="chat"
      aria-label="Chat"
      onDragOver={(e) => e.preventDefault()}
      onDrop={(e) => {
        e.preventDefault();
        sendFiles(e.dataTransfer?.files ?? []);
      }}
    >
      <ChatHeader state={state} conv={conv} session={session} />
      <MessageList state={state} conv={conv} session={session} />
      <FieldError id="composer-error">{error}</FieldError>
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <label for="image-input" class="attach" title="Send an image">
          Image
          <input
            id="image-input"
            type="file"
            accept={IMAGE_TYPES.join(",")}
            class="visually-hidden"
            onChange={(e) => {
              sendFiles([...(e.currentTarget.files ?? [])]);
              e.currentTarget.value = "";
            }}
          />
        </label>
        <label for="composer" class="visually-hidden">Message</label>
        <textarea
          ref={text}
          id="composer"
          rows={1}
          placeholder="Write a message"
          aria-describedby="composer-error"
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              void submit();
            }
          }}
          onPaste={(e) => {
            const files = [...(e.clipboardData?.files ?? [])];
            if (files.length === 0) return;
            e.preventDefault();
            sendFiles(files);
          }}
        />
        <button type="submit">Send</button>
      </form>
    </main>
  );
}
