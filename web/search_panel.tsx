/**
 * Message search: a box over all chats (the Chats tab) or inside one chat (its header). Each
 * result names its sender, its chat and its time, and shows its text with every match marked;
 * the text is always text nodes and <mark> elements, never markup from the message. Choosing a
 * result opens its chat at it. Typing searches after a short pause; "Load more" asks for older
 * results.
 */
import { useEffect, useReducer, useRef } from "preact/hooks";
import type { Message } from "../shared/types.ts";
import { when } from "./components.tsx";
import { fullDateTime } from "./format.ts";
import {
  highlight,
  NO_SEARCH,
  reduceSearch,
  SEARCH_HINT,
  SEARCH_PAGE,
  searchable,
} from "./message_search.ts";
import { errorText, type Session } from "./session.ts";
import { type State, title } from "./state.ts";

/** How long (ms) typing must pause before the server is asked. */
const DEBOUNCE_MS = 250;

/** A search box and its results; `onQuery` says whether results show (the chat list hides). */
export function SearchPanel({ state, session, conversationId, id, onQuery, onOpened }: {
  state: State;
  session: Session;
  /** Search only this chat; all of the user's chats when absent. */
  conversationId?: string;
  id: string;
  onQuery?: (searching: boolean) => void;
  /** A result was opened. */
  onOpened?: () => void;
}) {
  const [search, dispatch] = useReducer(reduceSearch, NO_SEARCH);
  const box = useRef<HTMLInputElement>(null);
  const ask = async (query: string, before?: string) => {
    const q = searchable(query);
    if (q === null) return;
    try {
      const messages = await session.client.searchMessages(q, {
        ...(conversationId ? { conversationId } : {}),
        ...(before ? { before } : {}),
        limit: SEARCH_PAGE,
      });
      dispatch({ type: "page", query, messages, append: before !== undefined });
    } catch (error) {
      dispatch({ type: "failed", query, error: errorText(error) });
    }
  };
  useEffect(() => {
    onQuery?.(search.query.trim() !== "");
    if (search.status !== "loading") return;
    const timer = setTimeout(() => void ask(search.query), DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [search.query]);
  useEffect(() => {
    if (conversationId) box.current?.focus();
  }, []);
  const scope = conversationId ? "this chat" : "all chats";
  return (
    <div class="message-search" role="search">
      <label for={id} class="visually-hidden">{`Search messages in ${scope}`}</label>
      <input
        ref={box}
        id={id}
        type="search"
        placeholder={conversationId ? "Search in this chat" : "Search messages"}
        autoComplete="off"
        value={search.query}
        aria-describedby={`${id}-status`}
        onInput={(e) => dispatch({ type: "typed", query: e.currentTarget.value })}
        onKeyDown={(e) => {
          if (e.key === "Escape") dispatch({ type: "typed", query: "" });
          // Enter asks at once (again, after an error).
          if (e.key === "Enter" && !e.isComposing && searchable(search.query) !== null) {
            dispatch({ type: "typed", query: search.query });
            void ask(search.query);
          }
        }}
      />
      <p id={`${id}-status`} class="search-status" role="status">
        {search.status === "short"
          ? SEARCH_HINT
          : search.status === "loading"
          ? "Searching…"
          : search.status === "done" && search.results.length === 0
          ? "No messages found."
          : ""}
      </p>
      {search.status === "error" && <p class="field-error" role="alert">{search.error}</p>}
      {search.results.length > 0 && (
        <ul class="search-results" aria-label="Found messages">
          {search.results.map((m) => (
            <Result
              key={m.id}
              state={state}
              message={m}
              query={search.query}
              onOpen={() => {
                void session.openAt(m).catch((error) =>
                  session.dispatch({ type: "notice", text: errorText(error) })
                );
                onOpened?.();
              }}
            />
          ))}
        </ul>
      )}
      {search.more && search.status === "done" && (
        <button
          type="button"
          class="load-more"
          disabled={search.loadingMore}
          onClick={() => {
            dispatch({ type: "more", query: search.query });
            void ask(search.query, search.results.at(-1)!.id);
          }}
        >
          {search.loadingMore ? "Loading…" : "Load more"}
        </button>
      )}
    </div>
  );
}

/** One found message: sender, chat and time over its text with the matches marked. */
function Result({ state, message, query, onOpen }: {
  state: State;
  message: Message;
  query: string;
  onOpen: () => void;
}) {
  const conv = state.conversations.get(message.conversationId);
  const group = message.to.type === "group" ? state.groups.get(message.to.id)?.group : undefined;
  const chat = conv ? title(state, conv) : group?.name ?? "Chat";
  const sender = message.from === state.me.id
    ? "You"
    : state.users.get(message.from)?.nickname ?? "Someone";
  const text = message.content.type === "text" ? message.content.text : "";
  return (
    <li>
      <button
        type="button"
        class="search-result"
        data-message={message.id}
        data-conversation={message.conversationId}
        onClick={onOpen}
      >
        <span class="result-head">
          <span class="result-chat">{chat}</span>
          <time
            dateTime={new Date(message.sentAt).toISOString()}
            title={fullDateTime(message.sentAt)}
          >
            {when(message.sentAt)}
          </time>
        </span>
        <span class="result-text">
          <span class="result-sender">{sender}</span>
          {": "}
          {highlight(text, query).map((part, i) =>
            part.match ? <mark key={i}>{part.text}</mark> : part.text
          )}
        </span>
      </button>
    </li>
  );
}
