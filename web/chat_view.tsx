/**
 * The chat side: a placeholder, or the open conversation with its composer. The
 * composer keeps each chat's draft in the browser as it is typed, counts the text
 * as the server does once near the limit, and will not send past it. It also
 * quotes the message being answered, edits one of ours in place of the draft,
 * offers the group's members on `@`, sends images and any file, and tells the
 * others the user is typing. A recall asks first, in a dialog of the page.
 */
import type { RefObject } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { Message, ReplyPreview } from "../shared/types.ts";
import { replyPreview } from "../shared/message_view.ts";
import { previewText } from "./bubble.tsx";
import { ChatHeader } from "./chat_header.tsx";
import { FieldError } from "./components.tsx";
import { ConfirmDialog } from "./confirm_dialog.tsx";
import { LONG_MUTE_MS, sendBlock } from "./group_admin_state.ts";
import { untilText } from "./system_text.ts";
import {
  EVERYONE,
  insertMention,
  type Mentionable,
  mentionCandidates,
  mentionQuery,
  mentionsIn,
  typingText,
} from "./composer_text.ts";
import { sizeText } from "./errors.ts";
import { MessageList } from "./message_list.tsx";
import { PendingContext, type PendingHandlers } from "./pending_actions.tsx";
import { codePoints, count, COUNTER_FROM, TEXT_MAX } from "./send_failure.ts";
import { errorText, IMAGE_TYPES, type Session } from "./session.ts";
import { type Conversation, type State, typingIn } from "./state.ts";

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

/** The members the picker offers: the others of the group, and "everyone" for its owner and admins. */
function mentionable(state: State, conv: Conversation): (Mentionable & { username?: string })[] {
  if (conv.type !== "group") return [];
  const others = state.members
    .filter((m) => m.user.id !== state.me.id && m.user.username !== "")
    .map((m) => ({ id: m.user.id, name: m.user.nickname, username: m.user.username }));
  const owner = conv.group && state.groups.get(conv.group.id)?.group.ownerId === state.me.id;
  const admin = state.members.find((m) => m.user.id === state.me.id)?.role === "admin";
  return owner || admin ? [{ id: EVERYONE, name: "everyone" }, ...others] : others;
}

function OpenChat({ state, conv, session }: {
  state: State;
  conv: Conversation;
  session: Session;
}) {
  const [error, setError] = useState("");
  const [text, setText] = useState(() => session.outbox.store.draft(conv.id));
  const [replying, setReplying] = useState<ReplyPreview | null>(null);
  const [editing, setEditing] = useState<Message | null>(null);
  const [recalling, setRecalling] = useState<Message | null>(null);
  const [uploading, setUploading] = useState<File | null>(null);
  const [chosen, setChosen] = useState<Mentionable[]>([]);
  /** The draft put aside while a message is edited in its place. */
  const aside = useRef("");
  const area = useRef<HTMLTextAreaElement>(null);
  useEffect(() => area.current?.focus(), [state.opened]);
  const write = (value: string) => {
    setText(value);
    if (!editing) session.outbox.store.setDraft(conv.id, value);
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
  const stopEditing = () => {
    setEditing(null);
    setText(aside.current);
    area.current?.focus();
  };
  const actions = {
    reply: (m: Message) => {
      setReplying(replyPreview(m));
      area.current?.focus();
    },
    edit: (m: Message) => {
      if (m.content.type !== "text") return;
      if (!editing) aside.current = text;
      setEditing(m);
      setReplying(null);
      setText(m.content.text);
      setError("");
      area.current?.focus();
    },
    recall: (m: Message) => setRecalling(m),
  };
  /** Sends each as an image (the Image button), a file (File), or by its type (dropped, pasted). */
  const sendFiles = (files: Iterable<File>, as: "image" | "file" | "auto" = "auto") => {
    const replyTo = replying ?? undefined;
    setReplying(null);
    setError("");
    for (const f of files) {
      const image = as === "image" || (as === "auto" && IMAGE_TYPES.includes(f.type));
      if (image) void session.sendImage(f, setError, replyTo);
      else void session.sendFile(f, setError, setUploading, replyTo);
    }
  };
  const submit = async () => {
    if (!text.trim() || codePoints(text) > TEXT_MAX) return;
    if (editing) {
      const before = editing.content.type === "text" ? editing.content.text : "";
      try {
        if (text !== before) await session.editMessage(editing, text);
        setError("");
        stopEditing();
      } catch (e) {
        setError(errorText(e));
      }
      return;
    }
    const extras = {
      ...(replying ? { replyTo: replying } : {}),
      ...(conv.type === "group" ? mentionsIn(text, chosen) : {}),
    };
    write("");
    setReplying(null);
    setChosen([]);
    setError("");
    await session.sendText(text, extras);
  };
  const typing = typingIn(state, conv.id).map((id) => state.users.get(id)?.nickname ?? "Someone");
  const closed = useSendBlock(state, conv);
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
      <p class="typing-line" aria-live="polite">{typingText(typing)}</p>
      <PendingContext.Provider value={handlers}>
        <MessageList state={state} conv={conv} session={session} actions={actions} />
      </PendingContext.Provider>
      <FieldError id="composer-error">{error}</FieldError>
      {uploading && (
        <p class="uploading" role="status">
          {`Uploading “${uploading.name}” (${sizeText(uploading.size)})…`}
        </p>
      )}
      <Composer
        text={text}
        area={area}
        closed={closed}
        members={mentionable(state, conv)}
        onText={(value) => {
          write(value);
          if (value.trim() && !editing) session.typing();
        }}
        onMention={(m) => setChosen([...chosen, m])}
        onSubmit={() => void submit()}
        onImages={(files) => sendFiles(files, "image")}
        onFiles={(files) => sendFiles(files, "file")}
        onPasted={(files) => sendFiles(files)}
        editing={editing !== null}
        banner={editing ? { title: "Editing message", text: "", cancel: stopEditing } : replying
          ? {
            title: `Replying to ${
              replying.from === state.me.id
                ? "yourself"
                : state.users.get(replying.from)?.nickname ?? "Someone"
            }`,
            text: previewText(replying.preview),
            cancel: () => {
              setReplying(null);
              area.current?.focus();
            },
          }
          : null}
      />
      {recalling && (
        <RecallDialog
          key={recalling.id}
          whose={recalling.from === state.me.id
            ? "this message"
            : `${state.users.get(recalling.from)?.nickname ?? "this member"}'s message`}
          onClose={() => {
            setRecalling(null);
            area.current?.focus();
          }}
          onRecall={() => session.recallMessage(recalling)}
        />
      )}
    </main>
  );
}

/** Asks before a recall, inside the page; a refusal shows in it, in plain words. */
function RecallDialog({ whose, onClose, onRecall }: {
  whose: string;
  onClose: () => void;
  onRecall: () => Promise<void>;
}) {
  return (
    <ConfirmDialog
      id="recall"
      title={`Recall ${whose}?`}
      action="Recall"
      onClose={onClose}
      onConfirm={onRecall}
    >
      It will be removed for everyone in this chat. This cannot be undone.
    </ConfirmDialog>
  );
}

/**
 * Why the user cannot send in a group now, in words for the composer, or null: muted until a
 * time (the composer opens again by itself then), or the group muted for plain members.
 */
function useSendBlock(state: State, conv: Conversation): string | null {
  const [now, setNow] = useState(Date.now());
  const group = conv.group ? state.groups.get(conv.group.id)?.group ?? conv.group : undefined;
  const block = group ? sendBlock(group, state.members, state.me.id, now) : null;
  const until = block?.kind === "member" ? block.until : 0;
  useEffect(() => {
    if (!until) return;
    // Timers fire at most ~24.8 days ahead; a longer mute is checked again then.
    const timer = setTimeout(
      () => setNow(Date.now()),
      Math.min(until - Date.now() + 50, 2 ** 31 - 1),
    );
    return () => clearTimeout(timer);
  }, [until, now]);
  if (!block) return null;
  if (block.kind === "group") return "Only the owner and admins can send in this group now.";
  return block.until - now > LONG_MUTE_MS
    ? "You are muted in this group until an owner or admin unmutes you."
    : `You are muted until ${untilText(block.until, now)}.`;
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

/** What the composer is doing besides a new message: answering one, or editing one of ours. */
interface Banner {
  title: string;
  text: string;
  cancel: () => void;
}

/** The text box with its counter, the mention picker, the image and file pickers and Send. */
function Composer({
  text,
  area,
  closed,
  members,
  editing,
  banner,
  onText,
  onMention,
  onSubmit,
  onImages,
  onFiles,
  onPasted,
}: {
  text: string;
  area: RefObject<HTMLTextAreaElement>;
  /** Why this user cannot send here now (muted), or null. */
  closed: string | null;
  members: (Mentionable & { username?: string })[];
  editing: boolean;
  banner: Banner | null;
  onText: (text: string) => void;
  onMention: (member: Mentionable) => void;
  onSubmit: () => void;
  onImages: (files: Iterable<File>) => void;
  onFiles: (files: Iterable<File>) => void;
  onPasted: (files: Iterable<File>) => void;
}) {
  const [caret, setCaret] = useState(0);
  const [active, setActive] = useState(0);
  /** The `@` position the reader closed the picker at (Escape): it stays closed there. */
  const [closedAt, setClosedAt] = useState(-1);
  const length = codePoints(text);
  const over = length > TEXT_MAX;
  const query = members.length ? mentionQuery(text, caret) : null;
  const offered = query && query.start !== closedAt ? mentionCandidates(members, query.query) : [];
  const picking = offered.length > 0;
  const at = Math.min(active, offered.length - 1);
  const described = [
    "composer-error",
    length >= COUNTER_FROM ? "composer-count" : "",
    over ? "composer-limit" : "",
  ].filter(Boolean).join(" ");
  const track = (el: HTMLTextAreaElement) => setCaret(el.selectionStart ?? el.value.length);
  // Where the caret goes once the text with a picked mention is in the box: set as that render
  // commits, before the next key is handled (a frame later, keys typed at once went in after it).
  const pendingCaret = useRef<{ text: string; caret: number } | null>(null);
  useLayoutEffect(() => {
    const pending = pendingCaret.current;
    const box = area.current;
    if (!pending || !box || box.value !== pending.text) return;
    pendingCaret.current = null;
    box.focus();
    box.setSelectionRange(pending.caret, pending.caret);
  });
  const pick = (member: Mentionable) => {
    if (!query) return;
    const next = insertMention(text, query.start, caret, member.name);
    pendingCaret.current = next;
    onText(next.text);
    onMention(member);
    setCaret(next.caret);
    setActive(0);
  };
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      {closed && <p class="composer-muted" id="composer-muted" role="status">{closed}</p>}
      {banner && (
        <div class="composer-banner" role="status">
          <span class="banner-text">
            <span class="banner-title">{banner.title}</span>
            {banner.text && <span class="banner-quote">{banner.text}</span>}
          </span>
          <button
            type="button"
            class="ghost"
            aria-label={editing ? "Cancel editing" : "Cancel reply"}
            onClick={banner.cancel}
          >
            ✕
          </button>
        </div>
      )}
      {picking && (
        <ul id="mention-picker" class="mention-picker" role="listbox" aria-label="Mention">
          {offered.map((m, i) => (
            <li
              key={m.id}
              id={`mention-${i}`}
              role="option"
              aria-selected={i === at}
              class={i === at ? "active" : ""}
              // Keeps the focus (and the caret) in the text box.
              onMouseDown={(e) => e.preventDefault()}
              onClick={() =>
                pick(m)}
            >
              {m.id === EVERYONE ? <span class="conv-name">@everyone (all members)</span> : (
                <>
                  <span class="conv-name">{m.name}</span>
                  {m.username && <span class="handle">{`@${m.username}`}</span>}
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      <Counter length={length} />
      {!editing && closed === null && (
        <>
          <label for="image-input" class="attach" title="Send an image">
            Image
            <input
              id="image-input"
              type="file"
              accept={IMAGE_TYPES.join(",")}
              class="visually-hidden"
              onChange={(e) => {
                onImages([...(e.currentTarget.files ?? [])]);
                e.currentTarget.value = "";
              }}
            />
          </label>
          <label for="file-input" class="attach" title="Send a file (up to 25 MB)">
            File
            <input
              id="file-input"
              type="file"
              class="visually-hidden"
              onChange={(e) => {
                onFiles([...(e.currentTarget.files ?? [])]);
                e.currentTarget.value = "";
              }}
            />
          </label>
        </>
      )}
      <label for="composer" class="visually-hidden">Message</label>
      <textarea
        ref={area}
        id="composer"
        rows={1}
        placeholder={closed
          ? "You cannot send here now"
          : editing
          ? "Edit your message"
          : "Write a message"}
        disabled={closed !== null}
        aria-describedby={closed ? `composer-muted ${described}` : described}
        aria-invalid={over}
        aria-autocomplete={members.length ? "list" : undefined}
        aria-controls={picking ? "mention-picker" : undefined}
        aria-expanded={members.length ? picking : undefined}
        aria-activedescendant={picking ? `mention-${at}` : undefined}
        value={text}
        onInput={(e) => {
          track(e.currentTarget);
          onText(e.currentTarget.value);
        }}
        onKeyUp={(e) => {
          if (e.key.startsWith("Arrow") && !picking) track(e.currentTarget);
        }}
        onClick={(e) => track(e.currentTarget)}
        onKeyDown={(e) => {
          if (picking) {
            if (e.key === "ArrowDown" || e.key === "ArrowUp") {
              e.preventDefault();
              const step = e.key === "ArrowDown" ? 1 : -1;
              setActive((at + step + offered.length) % offered.length);
              return;
            }
            if ((e.key === "Enter" || e.key === "Tab") && !e.isComposing) {
              e.preventDefault();
              pick(offered[at]);
              return;
            }
            if (e.key === "Escape") {
              e.preventDefault();
              setClosedAt(query!.start);
              return;
            }
          }
          if (e.key === "Escape" && banner) {
            e.preventDefault();
            banner.cancel();
            return;
          }
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            onSubmit();
          }
        }}
        onPaste={(e) => {
          const files = [...(e.clipboardData?.files ?? [])];
          if (files.length === 0 || editing) return;
          e.preventDefault();
          onPasted(files);
        }}
      />
      <button
        type="submit"
        disabled={over || closed !== null}
        aria-describedby={over ? "composer-limit" : undefined}
      >
        {editing ? "Save" : "Send"}
      </button>
    </form>
  );
}
