/**
 * Edits and recalls under faults (issue 15, convergence): friend pairs and a group whose members
 * send, edit and recall their own messages, and whose owner recalls a member's, through the SDK
 * while the fault suite kills processes. Every operation is retried as a real client would (an
 * edit again, a recall until it is done or `conflict` says it already was), and its outcome is
 * known, or counted as unknown when the time runs out. Then the checks: what was acknowledged
 * against what is stored (nothing lost, nothing stored twice, seqs without gaps, every message in
 * the state its last acknowledged operation left it, one update entry per acknowledged edit or
 * recall), and every client's applied view (`client.view()`) against the stored state.
 */
import { isDeepStrictEqual } from "node:util";
import { ImClient, ImError, ImHttp } from "../../client/mod.ts";
import type { Content, Message, Target } from "../../shared/types.ts";
import { isFullTarget } from "../../shared/message_view.ts";
import { privateConversationId } from "../../shared/types.ts";
import { befriend, uniqueName } from "../harness.ts";
import { problemsOf, retried, sleep, wholeHistory } from "./_report.ts";

/** Settings of the scenario. */
export interface UpdatesOptions {
  url: string;
  /** Friend pairs, each chatting privately. */
  pairs: number;
  /** Members of the group (the owner, one member whose messages only the owner recalls, others). */
  groupSize: number;
  /** Operations (sends, edits, recalls) per second in total. */
  rate: number;
  /** An operation not done within this is given up and its outcome counted as unknown. */
  opTimeoutMs?: number;
}

/** What one run measured. */
export interface UpdatesReport {
  sends: number;
  edits: number;
  recalls: number;
  /** Operations given up with their outcome unknown (the state checks accept either outcome). */
  unknown: number;
  /** Operations the protocol allows (own messages, the owner's recall) that were refused. */
  refused: number;
  /** Acknowledged sends missing from storage. */
  lost: number;
  /** Messages or update entries stored twice (a second recall entry counts). */
  duplicates: number;
  /** Positions whose seq is not the next one. */
  reordered: number;
  /** Messages whose stored state is not what their acknowledged operations left. */
  wrongState: number;
  /** Acknowledged edits or recalls without their update entry, or entries nobody asked for. */
  wrongEntries: number;
  /** Clients whose applied view of a conversation differs from the stored state. */
  clientMismatches: number;
  settleMs: number;
  details: string[];
}

/** What the scenario knows of one message it sent. */
interface Tracked {
  id: string;
  conversationId: string;
  /** The text its last acknowledged edit (or its send) gave it. */
  text: string;
  /** Who recalled it, once a recall was acknowledged. */
  recalledBy: string | null;
  editsAcked: number;
  /** Edit attempts whose outcome is unknown (each may or may not have made an entry). */
  editsUnknown: number;
  /** Texts an edit of unknown outcome may have left. */
  maybeTexts: string[];
  /** Who may have recalled it (a recall of unknown outcome). */
  maybeRecalledBy: string | null;
  /** An operation on it was refused: left alone from then on. */
  untouchable: boolean;
}

/** One client acting in one conversation. */
interface Actor {
  client: ImClient;
  to: Target;
  conversationId: string;
  /** Only sends (the group member whose messages the owner recalls). */
  sendsOnly: boolean;
  /** The group owner: also recalls the messages of `victim`. */
  victim?: Actor;
  mine: Tracked[];
}

async function client(url: string): Promise<ImClient> {
  const c = new ImClient({ baseUrl: url, backoffMs: 100, maxBackoffMs: 2000 });
  await c.register(uniqueName("upd"), "correct horse battery");
  await c.connect();
  return c;
}

/**
 * Whether an error says the request was refused for good (a protocol answer, not a failure).
 * `not_found` of a message just acknowledged is not: in a cluster the log sits between a send's
 * answer and the store, so an edit or recall right after it is tried again.
 */
function refused(error: unknown, retryNotFound: boolean): error is ImError {
  return error instanceof ImError && error.status >= 400 && error.status < 500 &&
    error.code !== "rate_limited" && error.code !== "unavailable" &&
    !(retryNotFound && error.code === "not_found");
}

/** Edits and recalls under way. */
export class UpdatesTraffic {
  readonly #options: Required<UpdatesOptions>;
  readonly clients: ImClient[] = [];
  readonly #actors: Actor[] = [];
  readonly #participants = new Map<string, ImClient[]>();
  readonly #tracked = new Map<string, Tracked>();
  readonly #acked = { sends: 0, edits: 0, recalls: 0 };
  #unknown = 0;
  /** Operations the protocol allows that were refused anyway. */
  readonly #refusals: string[] = [];
  #running = false;
  #loops: Promise<void>[] = [];
  #texts = 0;

  private constructor(options: UpdatesOptions) {
    this.#options = { opTimeoutMs: 30_000, ...options };
  }

  /** Creates the users, friendships and group, all connected and watching their views. */
  static async setup(options: UpdatesOptions): Promise<UpdatesTraffic> {
    const traffic = new UpdatesTraffic(options);
    const { url, pairs, groupSize } = options;
    for (let i = 0; i < pairs; i++) {
      const [a, b] = await Promise.all([client(url), client(url)]);
      await befriend(a, b);
      const conversationId = privateConversationId(a.self!.id, b.self!.id);
      for (const [from, to] of [[a, b], [b, a]]) {
        traffic.#actors.push({
          client: from,
          to: { type: "user", id: to.self!.id },
          conversationId,
          sendsOnly: false,
          mine: [],
        });
      }
      traffic.#participants.set(conversationId, [a, b]);
      traffic.clients.push(a, b);
    }
    if (groupSize >= 2) {
      const members = await Promise.all(Array.from({ length: groupSize }, () => client(url)));
      const group = await members[0].createGroup("updates under faults");
      for (const member of members.slice(1)) await member.joinGroup(group.id);
      const conversationId = `g:${group.id}`;
      const to: Target = { type: "group", id: group.id };
      const actors = members.map((member, i) => ({
        client: member,
        to,
        conversationId,
        sendsOnly: i === 1,
        mine: [] as Tracked[],
      }));
      (actors[0] as Actor).victim = actors[1];
      traffic.#actors.push(...actors);
      traffic.#participants.set(conversationId, members);
      traffic.clients.push(...members);
    }
    // Every client watches its conversations from before the first message.
    for (const [conversationId, participants] of traffic.#participants) {
      for (const participant of participants) participant.view(conversationId);
    }
    return traffic;
  }

  /** Starts every actor: each does one operation at a time, together at the configured rate. */
  start(): void {
    this.#running = true;
    const pauseMs = (1000 * this.#actors.length) / this.#options.rate;
    this.#loops = this.#actors.map(async (actor) => {
      await sleep(Math.random() * pauseMs);
      while (this.#running) {
        const started = Date.now();
        await this.#step(actor);
        await sleep(Math.max(0, pauseMs - (Date.now() - started)));
      }
    });
  }

  /** One operation: mostly a send while the actor has little to change, else an edit or recall. */
  #step(actor: Actor): Promise<void> {
    const open = (m: Tracked) =>
      m.recalledBy === null && m.maybeRecalledBy === null && !m.untouchable;
    const live = actor.mine.filter((m) => open(m) && m.maybeTexts.length === 0);
    const victims = actor.victim?.mine.filter(open) ?? [];
    const roll = Math.random();
    if (victims.length > 0 && roll < 0.15) {
      return this.#recall(actor, victims[Math.floor(Math.random() * victims.length)]);
    }
    if (actor.sendsOnly || live.length < 2 || roll < 0.45) return this.#send(actor);
    const target = live[Math.floor(Math.random() * live.length)];
    return roll < 0.8 ? this.#edit(actor, target) : this.#recall(actor, target);
  }

  /** Retries `attempt` until it is done, refused, or the time is up; the last outcome. */
  async #retry<T>(
    attempt: () => Promise<T>,
    onUnknown: () => void,
    retryNotFound = true,
  ): Promise<{ ok: T } | { refused: ImError } | null> {
    const deadline = Date.now() + this.#options.opTimeoutMs;
    while (Date.now() < deadline) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), Math.max(1, deadline - Date.now()));
      });
      const outcome = await Promise.race([
        attempt().then((ok) => ({ ok }), (error: unknown) => ({ error })),
        timeout,
      ]);
      clearTimeout(timer);
      if (outcome === "timeout") break;
      if ("ok" in outcome) return outcome;
      if (refused(outcome.error, retryNotFound)) return { refused: outcome.error };
      // No answer, or a failure: it may or may not have been done.
      onUnknown();
      await sleep(250);
    }
    return null;
  }

  async #send(actor: Actor): Promise<void> {
    const text = `u${++this.#texts}`;
    const clientMsgId = crypto.randomUUID();
    const outcome = await this.#retry(
      () => actor.client.send(actor.to, { type: "text", text }, clientMsgId),
      () => {},
      false,
    );
    if (outcome && "ok" in outcome) {
      this.#acked.sends++;
      const tracked: Tracked = {
        id: outcome.ok.id,
        conversationId: actor.conversationId,
        text,
        recalledBy: null,
        editsAcked: 0,
        editsUnknown: 0,
        maybeTexts: [],
        maybeRecalledBy: null,
        untouchable: false,
      };
      actor.mine.push(tracked);
      this.#tracked.set(tracked.id, tracked);
    } else if (outcome) {
      this.#refusals.push(
        `send ${clientMsgId}: ${outcome.refused.code} ${outcome.refused.message}`,
      );
    } else {
      this.#unknown++;
    }
  }

  async #edit(actor: Actor, message: Tracked): Promise<void> {
    const text = `u${++this.#texts} (edit)`;
    let unknownAttempts = 0;
    const outcome = await this.#retry(
      () => actor.client.editMessage(message.id, text),
      () => unknownAttempts++,
    );
    message.editsUnknown += unknownAttempts;
    if (outcome && "ok" in outcome) {
      this.#acked.edits++;
      message.editsAcked++;
      message.text = text;
    } else if (outcome) {
      this.#refused(message, "edit", outcome.refused);
    } else {
      this.#unknown++;
      message.maybeTexts.push(text);
    }
  }

  async #recall(actor: Actor, message: Tracked): Promise<void> {
    const by = actor.client.self!.id;
    const outcome = await this.#retry(() => actor.client.recallMessage(message.id), () => {});
    // `conflict` after a retry: an earlier attempt was done.
    if (outcome && ("ok" in outcome || outcome.refused.code === "conflict")) {
      this.#acked.recalls++;
      message.recalledBy = by;
    } else if (outcome) {
      this.#refused(message, "recall", outcome.refused);
    } else {
      this.#unknown++;
      message.maybeRecalledBy = by;
    }
  }

  /** An operation the protocol allows that was refused: a finding; the message is left alone. */
  #refused(message: Tracked, what: string, error: ImError): void {
    message.untouchable = true;
    this.#refusals.push(`${what} of ${message.id}: ${error.code} ${error.message}`);
  }

  /** Stops every actor after its operation under way. */
  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
  }

  /** Progress for the log: acknowledged operations. */
  get counts(): { acknowledged: number; unknown: number } {
    const { sends, edits, recalls } = this.#acked;
    return { acknowledged: sends + edits + recalls, unknown: this.#unknown };
  }

  /** Waits until every client's view is the stored state (or the time runs out), then checks. */
  async check(settleMs = 30_000): Promise<UpdatesReport> {
    const started = Date.now();
    const deadline = started + settleMs;
    let stored = new Map<string, Message[]>();
    while (true) {
      stored = new Map();
      for (const [conversationId, participants] of this.#participants) {
        // History read apart from the clients: what a client fetches feeds its own view.
        const reader = new ImHttp({ baseUrl: this.#options.url, token: participants[0].token });
        stored.set(conversationId, await retried(() => wholeHistory(reader, conversationId), 20));
      }
      const settled = [...this.#participants].every(([conversationId, participants]) =>
        participants.every((p) =>
          isDeepStrictEqual(
            applied(p.view(conversationId).messages),
            applied(stored.get(conversationId)!),
          )
        )
      );
      if (settled || Date.now() > deadline) break;
      await sleep(250);
    }
    const report: UpdatesReport = {
      sends: this.#acked.sends,
      edits: this.#acked.edits,
      recalls: this.#acked.recalls,
      unknown: this.#unknown,
      refused: this.#refusals.length,
      lost: 0,
      duplicates: 0,
      reordered: 0,
      wrongState: 0,
      wrongEntries: 0,
      clientMismatches: 0,
      settleMs: Date.now() - started,
      details: [...this.#refusals],
    };
    const problem = problemsOf(report);
    const real = new Map<string, Message>();
    const entries = new Map<string, { edit: number; recall: number }>();
    for (const [conversationId, messages] of stored) {
      const ids = new Set<string>();
      const sends = new Set<string>();
      messages.forEach((m, i) => {
        if (m.seq !== i + 1) {
          problem("reordered", `${conversationId}: position ${i + 1} holds seq ${m.seq}`);
        }
        if (ids.has(m.id)) problem("duplicates", `${conversationId}: ${m.id} stored twice`);
        ids.add(m.id);
        if (m.content.type === "system") return;
        if (m.content.type !== "update") {
          const key = `${m.from}/${m.clientMsgId}`;
          if (sends.has(key)) problem("duplicates", `${conversationId}: send ${key} stored twice`);
          sends.add(key);
          real.set(m.id, m);
          return;
        }
        const target = m.content.target;
        const count = entries.get(target.id) ?? { edit: 0, recall: 0 };
        count[m.content.action]++;
        entries.set(target.id, count);
        const current = messages.find((x) => x.id === target.id);
        if (m.clientMsgId !== null || !current || current.seq >= m.seq) {
          problem(
            "wrongEntries",
            `${conversationId}: update entry seq ${m.seq} (clientMsgId ${m.clientMsgId}) on ${target.id}, which is ${
              current ? `seq ${current.seq}` : "not in the conversation"
            }`,
          );
        } else if (isFullTarget(target) && !isDeepStrictEqual(target.content, current.content)) {
          problem(
            "wrongState",
            `${conversationId}: update entry seq ${m.seq} shows ${
              JSON.stringify(target.content)
            }, the message holds ${JSON.stringify(current.content)}`,
          );
        }
      });
    }
    for (const t of this.#tracked.values()) {
      const m = real.get(t.id);
      if (!m) {
        problem("lost", `${t.conversationId}: acknowledged ${t.id} is not stored`);
        continue;
      }
      const count = entries.get(t.id) ?? { edit: 0, recall: 0 };
      if (count.recall > 1) problem("duplicates", `${t.id}: recalled ${count.recall} times`);
      const unknownEdits = t.editsUnknown + t.maybeTexts.length + Number(t.untouchable);
      if (count.edit < t.editsAcked || count.edit > t.editsAcked + unknownEdits) {
        problem(
          "wrongEntries",
          `${t.id}: ${count.edit} edit entries for ${t.editsAcked} acknowledged edits (${unknownEdits} unknown)`,
        );
      }
      if (t.recalledBy !== null && count.recall !== 1) {
        problem("wrongEntries", `${t.id}: an acknowledged recall with ${count.recall} entries`);
      }
      if (t.recalledBy === null && t.maybeRecalledBy === null && count.recall !== 0) {
        problem("wrongEntries", `${t.id}: a recall entry nobody asked for`);
      }
      if (!allowed(t).some((content) => isDeepStrictEqual(m.content, content))) {
        problem(
          "wrongState",
          `${t.id}: stored ${JSON.stringify(m.content)}, expected one of ${
            JSON.stringify(allowed(t))
          }`,
        );
      }
      if (m.content.type === "text" && (m.editedAt !== undefined) !== (count.edit > 0)) {
        problem("wrongState", `${t.id}: editedAt ${m.editedAt} after ${count.edit} edit entries`);
      }
    }
    for (const [conversationId, participants] of this.#participants) {
      const want = applied(stored.get(conversationId)!);
      for (const participant of participants) {
        const got = applied(participant.view(conversationId).messages);
        if (!isDeepStrictEqual(got, want)) {
          const differing = want.filter((w, i) => !isDeepStrictEqual(w, got[i]));
          problem(
            "clientMismatches",
            `${conversationId}: a client's view holds ${got.length} messages, ${want.length} stored; first difference: ${
              JSON.stringify(differing[0])
            } vs ${JSON.stringify(got.find((g) => g.id === differing[0]?.id) ?? null)}`,
          );
        }
      }
    }
    return report;
  }

  /** Closes every client. */
  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
  }
}

/** The contents a message may hold, given what is known of the operations on it. */
function allowed(t: Tracked): Content[] {
  const texts = [t.text, ...t.maybeTexts];
  return [
    ...(t.recalledBy !== null ? [] : texts.map((text) => ({ type: "text" as const, text }))),
    ...[t.recalledBy, t.maybeRecalledBy].filter((by): by is string => by !== null).map((by) => ({
      type: "recalled" as const,
      recalledBy: by,
    })),
  ];
}

/**
 * A conversation as a reader sees it: real messages, edits and recalls applied. The group's
 * system lines are from the setup (and under `since_join` each member reads only those from its
 * own `joined` line on): left out.
 */
function applied(messages: readonly Message[]) {
  return messages.filter((m) => m.content.type !== "update" && m.content.type !== "system").map((
    m,
  ) => ({
    id: m.id,
    seq: m.seq,
    content: m.content,
    editedAt: m.editedAt,
  }));
}
