/**
 * The chat side: a placeholder, or the open conversation with its composer. The
 * composer keeps each chat's draft in the browser as it is typed, counts the text
 * as the server does once near the limit, and will not send past it.
 */
import type { RefObject } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ChatHeader } from "./chat_header.tsx";
import { FieldError } from "./components.tsx";
import { MessageList } from "./message_list.tsx";
import { PendingContext, type PendingHandlers } from "./pending_actions.tsx";
import { codePoints, count, COUNTER_FROM, TEXT_MAX } from "./send_failure.ts";
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
  const [text, setText] = useState(() => session.outbox.store.draft(conv.id));
  const area = useRef<HTMLTextAreaElement>(null);
  useEffect(() => area.current?.focus(), [state.opened]);
  const write = (value: string) => {
    setText(value);
    session.outbox.store.setDraft(conv.id, value);
  };
  const handlers: PendingHandlers = {
    retry: (id) => session.outbox.retry(id),
    discard: (id) => session.outbox.discard(id),
    edit: (id) => {
      const draft = session.outbox.edit(id);
      if (draft === null) return;
      setText(draft);
      area.current?.focus();
    },
  };
  const sendFiles = (files: Iterable<File>) => {
    for (const f of files) void session.sendImage(f, setError);
  };
  const submit = async () => {
    if (!text.trim() || codePoints(text) > TEXT_MAX) return;
    write("");
    setError("");
    await session.sendText(text);
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
      <PendingContext.Provider value={handlers}>
        <MessageList state={state} conv={conv} onTop={() => void session.loadOlder()} />
      </PendingContext.Provider>
      <FieldError id="composer-error">{error}</FieldError>
      <Composer
        text={text}
        area={area}
        onText={write}
        onSubmit={() => void submit()}
        onFiles={sendFiles}
      />
    </main>
  );
}

/** How long the text is, once near the limit, and why Send is off past it. */
function Counter({ length }: { length: number }) {
  if (length < COUNTER_FROM) return null;
  const over = length - TEXT_MAX;
  return (
    <div class={over > 0 ? "composer-count over" : "composer-count"}>
      <span id="composer-count">{`${count(length)} / ${count(TEXT_MAX)}`}</span>
      {over > 0 && (
        <span id="composer-limit" role="status">
          {`Too long to send: remove ${count(over)} character${
            over === 1 ? "" : "s"
          }. A message can have up to ${count(TEXT_MAX)} characters.`}
        </span>
      )}
    </div>
  );
}

/** The text box with its counter, the image picker and Send. */
function Composer({ text, area, onText, onSubmit, onFiles }: {
  text: string;
  area: RefObject<HTMLTextAreaElement>;
  onText: (text: string) => void;
  onSubmit: () => void;
  onFiles: (files: Iterable<File>) => void;
}) {
  const length = codePoints(text);
  const over = length > TEXT_MAX;
  const described = [
    "composer-error",
    length >= COUNTER_FROM ? "composer-count" : "",
    over ? "composer-limit" : "",
  ].filter(Boolean).join(" ");
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      <Counter length={length} />
      <label for="image-input" class="attach" title="Send an image">
        Image
        <input
          id="image-input"
          type="file"
          accept={IMAGE_TYPES.join(",")}
          class="visually-hidden"
          onChange={(e) => {
            onFiles([...(e.currentTarget.files ?? [])]);
            e.currentTarget.value = "";
          }}
        />
      </label>
      <label for="composer" class="visually-hidden">Message</label>
      <textarea
        ref={area}
        id="composer"
        rows={1}
        placeholder="Write a message"
        aria-describedby={described}
        aria-invalid={over}
        value={text}
        onInput={(e) => onText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            onSubmit();
          }
        }}
        onPaste={(e) => {
          const files = [...(e.clipboardData?.files ?? [])];
          if (files.length === 0) return;
          e.preventDefault();
          onFiles(files);
        }}
      />
      <button type="submit" disabled={over} aria-describedby={over ? "composer-limit" : undefined}>
        Send
      </button>
    </form>
  );
}
