/**
 * Steady chat traffic through the SDK for fault tests: friend pairs sending to
 * each other and a group with rotating senders, every client acking as a real
 * one would; then the checks: what was acknowledged against what is stored and
 * what every client finally holds.
 */
import { ImClient } from "../../client/mod.ts";
import type { Message, SendResult, Target } from "../../shared/types.ts";
import { befriend, uniqueName } from "../harness.ts";
import { wholeHistory } from "./_report.ts";

/** Settings of the traffic. */
export interface TrafficOptions {
  url: string;
  pairs: number;
  groupSize: number;
  /** Messages per second in total. */
  rate: number;
  /** Share of the rate sent to the group (0–1). */
  groupShare: number;
  /** A send not acknowledged within this is given up (counted as timed out, never as lost). */
  sendTimeoutMs?: number;
}

interface Sender {
  client: ImClient;
  to: Target;
  conversationId: string;
}

/** What one run measured. */
export interface TrafficReport {
  sent: number;
  acknowledged: number;
  timedOut: number;
  lost: number;
  duplicates: number;
  reordered: number;
  /** Clients whose final view of a conversation differs from the stored one. */
  clientMismatches: number;
  /** Milliseconds from the end of sending until everything was stored and shown (or the check gave up). */
  settleMs: number;
  details: string[];
}

async function client(url: string): Promise<ImClient> {
  const c = new ImClient({ baseUrl: url, backoffMs: 100, maxBackoffMs: 2000 });
  await c.register(uniqueName("f"), "correct horse battery");
  await c.connect();
  return c;
}

/** Running traffic. */
export class Traffic {
  readonly #options: Required<TrafficOptions>;
  readonly clients: ImClient[] = [];
  readonly #senders: Sender[] = [];
  readonly #groupSenders: Sender[] = [];
  /** Every message each client was shown, per conversation, in the order shown. */
  readonly #received = new Map<ImClient, Map<string, Message[]>>();
  readonly #acked = new Map<string, SendResult>();
  readonly #inFlight = new Set<Promise<void>>();
  #participants = new Map<string, ImClient[]>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #sent = 0;
  #timedOut = 0;
  #retries = 0;
  #next = 0;
  #nextGroup = 0;
  #carry = 0;

  private constructor(options: TrafficOptions) {
    this.#options = { sendTimeoutMs: 30_000, ...options };
  }

  /** Creates the users, friendships and group, all connected. */
  static async setup(options: TrafficOptions): Promise<Traffic> {
    const traffic = new Traffic(options);
    const { url, pairs, groupSize } = options;
    for (let i = 0; i < pairs; i++) {
      const [a, b] = await Promise.all([client(url), client(url)]);
      await befriend(a, b);
      const conversationId = [a.self!.id, b.self!.id].sort((
        x,
        y,
      ) => (BigInt(x) < BigInt(y) ? -1 : 1));
      const id = `u:${conversationId[0]}:${conversationId[1]}`;
      traffic.#senders.push({
        client: a,
        to: { type: "user", id: b.self!.id },
        conversationId: id,
      });
      traffic.#senders.push({
        client: b,
        to: { type: "user", id: a.self!.id },
        conversationId: id,
      });
      traffic.#participants.set(id, [a, b]);
      traffic.clients.push(a, b);
    }
    if (groupSize > 0) {
      const members = [];
      for (let i = 0; i < groupSize; i += 10) {
        members.push(
          ...await Promise.all(
            Array.from({ length: Math.min(10, groupSize - i) }, () => client(url)),
          ),
        );
      }
      const group = await members[0].createGroup("fault group");
      for (const member of members.slice(1)) await member.joinGroup(group.id);
      const id = `g:${group.id}`;
      for (const member of members) {
        traffic.#groupSenders.push({
          client: member,
          to: { type: "group", id: group.id },
          conversationId: id,
        });
      }
      traffic.#participants.set(id, members);
      traffic.clients.push(...members);
    }
    for (const c of traffic.clients) {
      const byConversation = new Map<string, Message[]>();
      traffic.#received.set(c, byConversation);
      c.on("message", (m) => {
        const list = byConversation.get(m.conversationId) ?? [];
        list.push(m);
        byConversation.set(m.conversationId, list);
      });
    }
    return traffic;
  }

  /** Starts sending at the configured rate. */
  start(): void {
    const tickMs = 20;
    this.#timer = setInterval(() => {
      this.#carry += (this.#options.rate * tickMs) / 1000;
      while (this.#carry >= 1) {
        this.#carry--;
        const toGroup = this.#groupSenders.length > 0 && Math.random() < this.#options.groupShare;
        const sender = toGroup
          ? this.#groupSenders[this.#nextGroup++ % this.#groupSenders.length]
          : this.#senders[this.#next++ % this.#senders.length];
        this.#send(sender);
      }
    }, tickMs);
  }

  #send(sender: Sender): void {
    const clientMsgId = crypto.randomUUID();
    this.#sent++;
    const work = (async () => {
      // A send that fails with an error is retried with the same clientMsgId, as a real client
      // does; one that gets no answer is resent by the SDK after every reconnect.
      const deadline = Date.now() + this.#options.sendTimeoutMs;
      while (Date.now() < deadline) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timeout = new Promise<"timeout">((resolve) => {
          timer = setTimeout(() => resolve("timeout"), Math.max(1, deadline - Date.now()));
        });
        const outcome = await Promise.race([
          sender.client.send(sender.to, { type: "text", text: `m ${this.#sent}` }, clientMsgId)
            .catch((e) => e as Error),
          timeout,
        ]);
        clearTimeout(timer);
        if (outcome === "timeout") break;
        if (!(outcome instanceof Error)) {
          this.#acked.set(clientMsgId, outcome);
          return;
        }
        this.#retries++;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      this.#timedOut++;
    })();
    this.#inFlight.add(work);
    work.finally(() => this.#inFlight.delete(work));
  }

  /** Stops sending and waits for the sends in flight to be answered or given up. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await Promise.all([...this.#inFlight]);
  }

  /** Progress for the log. */
  get counts(): { sent: number; acknowledged: number; timedOut: number; retries: number } {
    return {
      sent: this.#sent,
      acknowledged: this.#acked.size,
      timedOut: this.#timedOut,
      retries: this.#retries,
    };
  }

  /** Waits until every client holds what is stored (or the time runs out), then compares everything. */
  async check(settleMs = 30_000): Promise<TrafficReport> {
    const stored = new Map<string, Message[]>();
    const started = Date.now();
    const deadline = started + settleMs;
    while (true) {
      for (const [conversationId, participants] of this.#participants) {
        stored.set(conversationId, await wholeHistory(participants[0], conversationId));
      }
      const storedIds = new Set([...stored.values()].flatMap((list) => list.map((m) => m.id)));
      // Settled: everything acknowledged is stored, and every client shows what is stored.
      const settled = [...this.#acked.values()].every((r) => storedIds.has(r.id)) &&
        [...this.#participants].every(([conversationId, participants]) =>
          participants.every((p) =>
            sameIds(this.#received.get(p)!.get(conversationId) ?? [], stored.get(conversationId)!)
          )
        );
      if (settled || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const report: TrafficReport = {
      sent: this.#sent,
      acknowledged: this.#acked.size,
      timedOut: this.#timedOut,
      lost: 0,
      duplicates: 0,
      reordered: 0,
      clientMismatches: 0,
      settleMs: Date.now() - started,
      details: [],
    };
    const storedIds = new Set<string>();
    for (const [conversationId, messages] of stored) {
      messages.forEach((m, i) => {
        storedIds.add(m.id);
        if (m.seq !== i + 1) {
          report.reordered++;
          report.details.push(`${conversationId}: position ${i + 1} holds seq ${m.seq}`);
        }
      });
      const keys = new Set<string>();
      for (const m of messages) {
        if (m.content.type === "system") continue;
        const key = `${m.from}/${m.clientMsgId}`;
        if (keys.has(key)) {
          report.duplicates++;
          report.details.push(`${conversationId}: ${key} stored twice`);
        }
        keys.add(key);
      }
      for (const participant of this.#participants.get(conversationId)!) {
        const shown = this.#received.get(participant)!.get(conversationId) ?? [];
        if (!sameIds(shown, messages)) {
          report.clientMismatches++;
          report.details.push(
            `${conversationId}: a client shows ${shown.length} messages (${
              new Set(shown.map((m) => m.id)).size
            } distinct), ${messages.length} stored`,
          );
        }
      }
    }
    for (const [clientMsgId, result] of this.#acked) {
      if (!storedIds.has(result.id)) {
        report.lost++;
        report.details.push(`acknowledged ${clientMsgId} (${result.id}) is not stored`);
      }
    }
    return report;
  }

  /** Closes every client. */
  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
  }
}

/**
 * Whether a client shows the stored messages, in order. The group's system lines (its `created`
 * and `joined` lines) come from the setup, partly before the clients record anything, and a
 * member under `since_join` reads none from before its own: they are left out on both sides.
 */
function sameIds(a: Message[], b: Message[]): boolean {
  const sent = (list: Message[]) => list.filter((m) => m.content.type !== "system");
  const [x, y] = [sent(a), sent(b)];
  return x.length === y.length && x.every((m, i) => m.id === y[i].id);
}
