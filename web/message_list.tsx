/**
 * The open conversation's messages, oldest first, then ours not yet stored.
 * New messages bring the view to the bottom; older ones loaded on scrolling up
 * keep it where it was.
 */
import { Component, createRef } from "preact";
import { Bubble } from "./bubble.tsx";
import { withDays } from "./day_separators.tsx";
import type { Conversation, State } from "./state.ts";

interface Props {
  state: State;
  conv: Conversation;
  onTop: () => void;
}

interface Snapshot {
  atBottom: boolean;
  fromBottom: number;
}

/** What decides the scrolling: the oldest and newest seq, and how many are pending. */
function extent({ state, conv }: Props): { oldest: number; newest: number; pending: number } {
  const seqs = [...(state.messages.get(conv.id)?.keys() ?? [])];
  return {
    oldest: seqs.length ? Math.min(...seqs) : 0,
    newest: seqs.length ? Math.max(...seqs) : 0,
    pending: [...state.pending.values()].filter((p) => p.conversationId === conv.id).length,
  };
}

/** The scrolling list of messages. */
export class MessageList extends Component<Props> {
  #list = createRef<HTMLOListElement>();

  override componentDidMount(): void {
    const list = this.#list.current!;
    list.scrollTop = list.scrollHeight;
  }

  override getSnapshotBeforeUpdate(): Snapshot {
    const list = this.#list.current!;
    return {
      atBottom: list.scrollHeight - list.scrollTop - list.clientHeight < 60,
      fromBottom: list.scrollHeight - list.scrollTop,
    };
  }

  override componentDidUpdate(previous: Props, _: unknown, snapshot: Snapshot): void {
    const list = this.#list.current!;
    const before = extent(previous);
    const now = extent(this.props);
    if (now.newest > before.newest || now.pending > before.pending) {
      list.scrollTop = list.scrollHeight;
    } else if (before.oldest && now.oldest < before.oldest) {
      list.scrollTop = list.scrollHeight - snapshot.fromBottom;
    } else if (snapshot.atBottom) {
      list.scrollTop = list.scrollHeight;
    }
  }

  override render({ state, conv, onTop }: Props) {
    const me = state.me.id;
    const stored = [...(state.messages.get(conv.id)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
    const pending = [...state.pending.values()].filter((p) => p.conversationId === conv.id);
    let previous = "";
    return (
      <ol
        ref={this.#list}
        class="messages"
        aria-live="polite"
        aria-label="Messages"
        onScroll={(e) => {
          if (e.currentTarget.scrollTop < 40) onTop();
        }}
      >
        {(state.noOlder.has(conv.id) || (stored[0]?.seq ?? 1) <= 1) && (
          <li class="start muted">This is the start of the conversation.</li>
        )}
        {withDays(stored, (m) => {
          const showName = conv.type === "group" && m.from !== previous && m.from !== me;
          previous = m.from;
          const sender = showName ? state.users.get(m.from)?.nickname ?? "Someone" : "";
          return <Bubble key={m.seq} message={m} mine={m.from === me} sender={sender} />;
        })}
        {pending.map((p) => <Bubble key={p.clientMsgId} pending={p} mine sender="" />)}
      </ol>
    );
  }
}
