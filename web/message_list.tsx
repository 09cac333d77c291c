/**
 * The open conversation's messages, oldest first, then ours not yet stored.
 * At the bottom, new messages keep the view at the bottom; scrolled up to read
 * older ones, the view stays where it is and a pill counts what arrived below.
 * Ours sent from here always bring the view to the bottom; older ones loaded on
 * scrolling up keep it where it was. After each change and scroll, the list
 * tells the session the last message it shows, which is what gets marked read.
 *
 * Opened at an old message (a search result), it shows the window around it, brings it to the
 * middle and marks it; scrolling up loads older pages and down newer ones, and "Jump to latest"
 * leaves the window while it does not reach the newest message (conversation_state.ts).
 */
import { Component, createRef } from "preact";
import type { Message, ReplyPreview } from "../shared/types.ts";
import { isUpdate } from "../shared/message_view.ts";
import { isSystem } from "../client/mod.ts";
import { SystemLine } from "./system_line.tsx";
import { Bubble, type BubbleInfo, MessageContext, type MessageHandlers } from "./bubble.tsx";
import { withDays } from "./day_separators.tsx";
import { LIMITS } from "./errors.ts";
import { errorText, type Session } from "./session.ts";
import { type Conversation, readBy, type State } from "./state.ts";

interface Props {
  state: State;
  conv: Conversation;
  session: Session;
  /** Reply, edit and recall, as the open chat does them. */
  actions: Omit<MessageHandlers, "reveal">;
}

/** How long (ms) a message reached from a quote stays marked. */
const FLASH_MS = 2000;

/** What a message of the list shows beyond itself: our read state, and who may change it. */
export function bubbleInfo(
  state: State,
  conv: Conversation,
  m: Message,
  now: number,
): Omit<BubbleInfo, "nameOf" | "me" | "flash"> {
  const me = state.me.id;
  const mine = m.from === me;
  const age = now - m.sentAt;
  const group = conv.group ? state.groups.get(conv.group.id)?.group ?? conv.group : undefined;
  const owner = group?.ownerId === me;
  // Admins (protocol v2 roles; the member list says) recall plain members' messages.
  const role = (id: string) => state.members.find((x) => x.user.id === id)?.role;
  const admin = group !== undefined && role(me) === "admin" && role(m.from) === "member";
  const live = m.content.type !== "recalled";
  let receipt: BubbleInfo["receipt"];
  if (mine && live) {
    const n = readBy(state, conv.id, m.seq);
    if (!group) receipt = { kind: n > 0 ? "read" : "delivered" };
    else if (group.memberCount <= LIMITS.receiptGroupMax && n > 0) {
      receipt = { kind: "read_by", count: n };
    } else receipt = { kind: "delivered" };
  }
  return {
    ...(receipt ? { receipt } : {}),
    canEdit: mine && m.content.type === "text" && age < LIMITS.editWindowS * 1000,
    canRecall: live && ((mine && age < LIMITS.recallWindowS * 1000) || owner || admin),
  };
}

interface Snapshot {
  atBottom: boolean;
  fromBottom: number;
}

/** How close to the bottom (px) still counts as at the bottom. */
const NEAR_BOTTOM = 60;
/** How much of a message (px, or half of a shorter one) must be in view to count as shown. */
const SHOWN_PX = 24;

/** What decides the scrolling: the oldest and newest seq, and how many are pending. */
function extent(
  { state, conv }: Props,
): { oldest: number; newest: number; pending: number; detached: boolean } {
  const seqs = [...(state.messages.get(conv.id)?.keys() ?? [])];
  const detached = state.detached.has(conv.id);
  return {
    oldest: seqs.length ? Math.min(...seqs) : 0,
    newest: seqs.length ? Math.max(...seqs) : 0,
    // A window on old messages shows none of ours waiting: they go after the newest.
    pending: detached
      ? 0
      : [...state.pending.values()].filter((p) => p.conversationId === conv.id).length,
    detached,
  };
}

function atBottom(list: HTMLElement): boolean {
  return list.scrollHeight - list.scrollTop - list.clientHeight < NEAR_BOTTOM;
}

/** The seq of the last stored message in view, or 0: geometry, from the bottom up. */
export function lastShownSeq(list: HTMLElement): number {
  const box = list.getBoundingClientRect();
  if (box.height === 0) return 0; // Not laid out (a phone showing the list instead).
  const items = list.querySelectorAll<HTMLElement>("li[data-seq]");
  for (let i = items.length - 1; i >= 0; i--) {
    const rect = items[i].getBoundingClientRect();
    const needed = Math.min(SHOWN_PX, rect.height / 2);
    if (rect.top + needed <= box.bottom && rect.bottom - needed >= box.top) {
      return Number(items[i].dataset.seq);
    }
    if (rect.bottom < box.top) break;
  }
  return 0;
}

/** The scrolling list of messages. */
export class MessageList extends Component<Props, { flash: number | null }> {
  #list = createRef<HTMLOListElement>();
  #flashTimer: ReturnType<typeof setTimeout> | undefined;
  override state = { flash: null as number | null };

  override componentWillUnmount(): void {
    clearTimeout(this.#flashTimer);
  }

  /**
   * Goes to a quoted message: loads older history down to it if needed, scrolls it to the middle,
   * moves the focus there and marks it for a moment.
   */
  #reveal = async (quote: ReplyPreview): Promise<void> => {
    const { session } = this.props;
    if (!(await session.reveal(quote.seq))) {
      session.dispatch({ type: "notice", text: "The original message is not available." });
      return;
    }
    // The loaded page renders on the next frames.
    for (let i = 0; i < 20; i++) {
      const li = this.#list.current?.querySelector<HTMLElement>(`li[data-seq="${quote.seq}"]`);
      if (li) {
        li.scrollIntoView({ block: "center" });
        li.focus({ preventScroll: true });
        this.setState({ flash: quote.seq });
        clearTimeout(this.#flashTimer);
        this.#flashTimer = setTimeout(() => this.setState({ flash: null }), FLASH_MS);
        return;
      }
      await new Promise((resolve) => requestAnimationFrame(resolve));
    }
  };
  /** Where the last scroll event left the view: older ones load only when the reader moves up. */
  #lastTop = 0;

  /** The last jump (`State.jump.n`) brought into view. */
  #jumped = 0;
  /** "Jump to latest" was chosen: the latest page goes to the bottom once it is in. */
  #toBottom = false;

  override componentDidMount(): void {
    const list = this.#list.current!;
    list.scrollTop = list.scrollHeight;
    this.#jumpTo();
    this.#report();
  }

  /** Brings the message opened at (a search result) to the middle and marks it, once. */
  #jumpTo(): boolean {
    const jump = this.props.state.jump;
    if (!jump || jump.n === this.#jumped || jump.conversationId !== this.props.conv.id) {
      return false;
    }
    const li = this.#list.current?.querySelector<HTMLElement>(`li[data-seq="${jump.seq}"]`);
    if (!li) return false;
    this.#jumped = jump.n;
    li.scrollIntoView({ block: "center" });
    this.#lastTop = this.#list.current!.scrollTop;
    this.setState({ flash: jump.seq });
    clearTimeout(this.#flashTimer);
    this.#flashTimer = setTimeout(() => this.setState({ flash: null }), FLASH_MS);
    return true;
  }

  override getSnapshotBeforeUpdate(): Snapshot {
    const list = this.#list.current!;
    return { atBottom: atBottom(list), fromBottom: list.scrollHeight - list.scrollTop };
  }

  override componentDidUpdate(previous: Props, _: unknown, snapshot: Snapshot): void {
    const list = this.#list.current!;
    const before = extent(previous);
    const now = extent(this.props);
    if (this.#jumpTo()) {
      // Opened at a message: it is in the middle now.
    } else if (
      now.pending > before.pending || (this.#toBottom && !now.detached) ||
      // The window was replaced by the latest page (Jump to latest, or a send from it).
      (before.detached && !now.detached && now.oldest !== before.oldest)
    ) {
      // Sent from here, or back to the latest: show it, wherever the view was.
      this.#toBottom = false;
      list.scrollTop = list.scrollHeight;
    } else if (before.oldest && now.oldest < before.oldest && now.newest <= before.newest) {
      list.scrollTop = list.scrollHeight - snapshot.fromBottom;
    } else if (snapshot.atBottom && !before.detached && !now.detached) {
      list.scrollTop = list.scrollHeight;
    }
    this.#report();
  }

  /** Tells the session whether the latest is in view, and marks read what is shown. */
  #report(): void {
    const list = this.#list.current;
    const { state, session } = this.props;
    if (!list || !state.visible) return;
    const following = atBottom(list);
    if (following !== state.following) session.dispatch({ type: "following", following });
    const shown = lastShownSeq(list);
    if (shown > 0) session.markRead(shown);
  }

  /** Leaves the window on old messages for the latest page, shown at the bottom. */
  #jumpToLatest = (e: MouseEvent): void => {
    const { session, conv } = this.props;
    this.#toBottom = true;
    void session.toLatest(conv.id).catch((error) =>
      session.dispatch({ type: "notice", text: errorText(error) })
    );
    if (e.detail === 0) document.getElementById("composer")?.focus();
  };

  /** The pill: to the latest; from the keyboard, focus goes on to the composer, as the pill goes. */
  #toLatest = (e: MouseEvent): void => {
    const list = this.#list.current!;
    list.scrollTop = list.scrollHeight;
    if (e.detail === 0) document.getElementById("composer")?.focus();
    this.#report();
  };

  override render({ state, conv, session, actions }: Props) {
    const me = state.me.id;
    const stored = [...(state.messages.get(conv.id)?.values() ?? [])]
      .filter((m) => !isUpdate(m))
      .sort((a, b) => a.seq - b.seq);
    const now = Date.now();
    const nameOf = (id: string) =>
      id === me ? state.me.nickname : state.users.get(id)?.nickname ?? "Someone";
    const base = { nameOf, me };
    const handlers: MessageHandlers = { ...actions, reveal: (q) => void this.#reveal(q) };
    const detached = state.detached.has(conv.id);
    const pending = detached
      ? []
      : [...state.pending.values()].filter((p) => p.conversationId === conv.id);
    const unseen = state.following || detached ? 0 : conv.unread;
    let previous = "";
    return (
      <MessageContext.Provider value={handlers}>
        <ol
          ref={this.#list}
          class="messages"
          aria-live="polite"
          aria-label="Messages"
          onScroll={(e) => {
            // Only a move up near the top loads older ones: the view set at the bottom when the
            // first page lands, or kept after one, must not load a second page by itself.
            const list = e.currentTarget;
            const top = list.scrollTop;
            if (top < 40 && top < this.#lastTop) void session.loadOlder();
            // A window on old messages: moving down near its end loads the next newer page.
            const end = list.scrollHeight - top - list.clientHeight < 80;
            if (detached && end && top > this.#lastTop) void session.loadNewerWindow();
            this.#lastTop = top;
            this.#report();
          }}
        >
          {(state.noOlder.has(conv.id) || (stored[0]?.seq ?? 1) <= 1) && (
            <li class="start muted">This is the start of the conversation.</li>
          )}
          {withDays(stored, (m) => {
            if (isSystem(m)) {
              previous = ""; // The next message names its sender again.
              return <SystemLine key={m.seq} message={m} names={base} />;
            }
            const showName = conv.type === "group" && m.from !== previous && m.from !== me;
            previous = m.from;
            const sender = showName ? state.users.get(m.from)?.nickname ?? "Someone" : "";
            const info = {
              ...base,
              ...bubbleInfo(state, conv, m, now),
              flash: this.state.flash === m.seq,
            };
            return (
              <Bubble key={m.seq} message={m} mine={m.from === me} sender={sender} info={info} />
            );
          })}
          {pending.map((p) => (
            <Bubble
              key={p.clientMsgId}
              pending={p}
              mine
              sender=""
              info={base}
            />
          ))}
          {detached && (
            <li class="new-pill jump-latest">
              <button type="button" onClick={this.#jumpToLatest}>
                <span aria-hidden="true">↓</span>
                {conv.unread > 0 ? ` Jump to latest (${conv.unread} new)` : " Jump to latest"}
              </button>
            </li>
          )}
          {unseen > 0 && (
            <li class="new-pill">
              <button type="button" onClick={this.#toLatest}>
                <span aria-hidden="true">↓</span>
                {` ${unseen} new message${unseen === 1 ? "" : "s"}`}
              </button>
            </li>
          )}
        </ol>
      </MessageContext.Provider>
    );
  }
}
