/**
 * A load process of the large-group scenario (bench/large_group.ts): holds authenticated
 * WebSockets of a group's members that receive, and churns other members' connections on and off.
 *
 *   deno run -A bench/large_group_load.ts PLAN.json
 *
 * Receivers ack every message as the SDK does (one `ack` per push, up to its seq) and measure each
 * bench message's latency from the send time its clientMsgId carries
 * (`lg-<phase>-<epoch ms>-<n>`, `performance.timeOrigin + performance.now()` of the sending
 * process: the same machine clock) into a histogram per phase. They count `group_online` events
 * (and the most any receiver got within one clock second) and every other frame by op.
 *
 * Churn: `churn-warm N` opens N connections of the churn pool (users taken in turn); then
 * `churn SECONDS PER_SECOND` closes the oldest open churn connection and opens the next user's,
 * PER_SECOND times a second in all (in ticks of 100 ms), so the churners online stay level; each
 * open is a user coming online and each close one going offline.
 *
 * Reports go to stdout as JSON lines (`GroupLoadReport`); commands come from stdin, one a line:
 * `phase NAME` (that phase's figures), `counts`, `churn-warm N`, `churn SECONDS PER_SECOND`,
 * `churn-stop`, `quit`.
 */

/** What a load process is told to do. */
export interface GroupLoadPlan {
  /** WebSocket URLs of the connect servers; receiver i opens on `servers[i % n]`. */
  servers: string[];
  /** The loopback address to connect to instead of 127.0.0.1 (each load process its own). */
  host: string;
  /** The group's conversation id (`g:<id>`): its messages are acked and measured. */
  conversationId: string;
  /** One token per receiving member. */
  receivers: string[];
  /** Tokens of the members whose connections churn, taken in turn. */
  churn: string[];
  /** Connections being opened at once at the start. */
  concurrency: number;
}

/** A latency histogram: [bucket, count] pairs (see `bucketOf`). */
export type Histogram = [number, number][];

/** A line on stdout. */
export type GroupLoadReport =
  | { event: "opened"; ready: number; failed: number; ms: number; errors: Record<string, number> }
  | {
    event: "phase";
    phase: string;
    /** Messages of the phase received, repeats left out, per receiver (in plan order). */
    counts: number[];
    repeats: number;
    histogram: Histogram;
    maxMs: number;
    /** Epoch ms of the first and last receipt (0 when none). */
    firstAt: number;
    lastAt: number;
  }
  | {
    event: "counts";
    /** Receivers with an open connection, and those the server closed (by close code). */
    ready: number;
    dropped: Record<string, number>;
    /** `group_online` events received by all receivers so far. */
    groupOnline: number;
    /** The most `group_online` events one receiver got within one clock second, so far. */
    groupOnlineMaxPerSecond: number;
    /** Of the intervals between two `group_online` events at one receiver: how many, the least
     * (ms), and how many were under 100 ms and under 1 s. */
    groupOnlineGaps: number;
    groupOnlineMinGapMs: number;
    groupOnlineGapsUnder100Ms: number;
    groupOnlineGapsUnder1s: number;
    /** The count the latest `group_online` carried (of the first receiver). */
    lastOnlineCount: number;
    /** Every frame the receivers got, by op. */
    frames: Record<string, number>;
    /** Churn connections open now. */
    churnLive: number;
    rssBytes: number;
  }
  | { event: "warm"; ready: number; failed: number }
  | {
    event: "churned";
    /** Churn connections that became ready, that failed, and that were closed, in the window. */
    opened: number;
    failed: number;
    closed: number;
    /** Milliseconds from the socket's creation to `ready`, sorted (at most 2,000 evenly taken). */
    openMs: number[];
    errors: Record<string, number>;
  }
  | { event: "stopped"; closed: number };

/** Latency buckets: 0.1 ms wide below 100 ms, then 1 ms wide up to 60 s, then one more. */
const FINE = 1000;
const BUCKETS = FINE + 59_900 + 1;

/** The bucket of a latency in ms. */
export function bucketOf(ms: number): number {
  if (ms < 100) return Math.max(0, Math.floor(ms * 10));
  return Math.min(BUCKETS - 1, FINE + Math.floor(ms - 100));
}

/** The middle of a bucket, in ms. */
export function bucketMs(bucket: number): number {
  return bucket < FINE ? (bucket + 0.5) / 10 : 100 + (bucket - FINE) + 0.5;
}

/** A connection not ready this long after its socket was asked for has failed. */
const OPEN_TIMEOUT_MS = 30_000;
const PING_MS = 25_000;

const now = () => performance.timeOrigin + performance.now();
const say = (report: GroupLoadReport) => console.log(JSON.stringify(report));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

/** One phase's figures as they come in. */
interface Phase {
  counts: Int32Array;
  repeats: number;
  histogram: Uint32Array;
  maxMs: number;
  firstAt: number;
  lastAt: number;
}

/**
 * Opens a socket to `url` and authenticates; resolves with it once `ready`, or null (closed) when
 * refused, failed or too slow. `onFrame` gets every frame after `ready`, `onClose` a close after.
 */
function open(
  url: string,
  token: string,
  errors: Map<string, number>,
  onFrame: (socket: WebSocket, frame: Record<string, unknown>) => void,
  onClose: (code: number) => void,
): Promise<WebSocket | null> {
  return new Promise((resolve) => {
    let ready = false;
    const socket = new WebSocket(url);
    const timer = setTimeout(() => {
      bump(errors, "timeout");
      socket.close();
      resolve(null);
    }, OPEN_TIMEOUT_MS);
    socket.onopen = () => socket.send(JSON.stringify({ op: "auth", token }));
    socket.onerror = () => {};
    socket.onmessage = (event) => {
      const frame = JSON.parse(String(event.data)) as Record<string, unknown>;
      if (ready) return onFrame(socket, frame);
      if (frame.op === "ready") {
        ready = true;
        clearTimeout(timer);
        resolve(socket);
      } else if (frame.op === "error") {
        bump(errors, `error ${frame.code}`);
      }
    };
    socket.onclose = (event) => {
      if (ready) return onClose(event.code);
      clearTimeout(timer);
      bump(errors, `close ${event.code}`);
      resolve(null);
    };
  });
}

/** The receivers: acks, per-phase figures and event counts. */
class Receivers {
  readonly sockets: (WebSocket | null)[];
  readonly #plan: GroupLoadPlan;
  readonly #lastSeq: Int32Array;
  readonly #phases = new Map<string, Phase>();
  readonly frames = new Map<string, number>();
  readonly dropped = new Map<string, number>();
  groupOnline = 0;
  groupOnlineMaxPerSecond = 0;
  lastOnlineCount = -1;
  readonly #onlineSecond: Float64Array;
  readonly #onlineInSecond: Int32Array;
  readonly #onlineLastAt: Float64Array;
  gaps = 0;
  minGapMs = Infinity;
  gapsUnder100Ms = 0;
  gapsUnder1s = 0;

  constructor(plan: GroupLoadPlan) {
    this.#plan = plan;
    const n = plan.receivers.length;
    this.sockets = new Array(n).fill(null);
    this.#lastSeq = new Int32Array(n);
    this.#onlineSecond = new Float64Array(n);
    this.#onlineInSecond = new Int32Array(n);
    this.#onlineLastAt = new Float64Array(n);
  }

  phase(name: string): Phase {
    let phase = this.#phases.get(name);
    if (!phase) {
      phase = {
        counts: new Int32Array(this.sockets.length),
        repeats: 0,
        histogram: new Uint32Array(BUCKETS),
        maxMs: 0,
        firstAt: 0,
        lastAt: 0,
      };
      this.#phases.set(name, phase);
    }
    return phase;
  }

  frame(i: number, socket: WebSocket, frame: Record<string, unknown>): void {
    const op = String(frame.op);
    bump(this.frames, op);
    if (op === "message") this.#message(i, socket, frame.message as Record<string, unknown>);
    else if (op === "group_online") this.#groupOnline(i, frame);
  }

  #message(i: number, socket: WebSocket, message: Record<string, unknown>): void {
    const at = now();
    const conversationId = message.conversationId as string;
    const seq = message.seq as number;
    socket.send(JSON.stringify({ op: "ack", conversationId, seq }));
    if (conversationId !== this.#plan.conversationId) return;
    const id = message.clientMsgId;
    if (typeof id !== "string" || !id.startsWith("lg-")) {
      if (seq > this.#lastSeq[i]) this.#lastSeq[i] = seq;
      return;
    }
    const [, name, sentAt] = id.split("-");
    const phase = this.phase(name);
    if (seq <= this.#lastSeq[i]) {
      phase.repeats++;
      return;
    }
    this.#lastSeq[i] = seq;
    phase.counts[i]++;
    const ms = Math.max(0, at - Number(sentAt));
    phase.histogram[bucketOf(ms)]++;
    if (ms > phase.maxMs) phase.maxMs = ms;
    if (phase.firstAt === 0) phase.firstAt = at;
    phase.lastAt = at;
  }

  #groupOnline(i: number, frame: Record<string, unknown>): void {
    this.groupOnline++;
    if (i === 0) this.lastOnlineCount = frame.count as number;
    const at = now();
    if (this.#onlineLastAt[i] > 0) {
      const gap = at - this.#onlineLastAt[i];
      this.gaps++;
      if (gap < this.minGapMs) this.minGapMs = gap;
      if (gap < 100) this.gapsUnder100Ms++;
      if (gap < 1000) this.gapsUnder1s++;
    }
    this.#onlineLastAt[i] = at;
    const second = Math.floor(Date.now() / 1000);
    if (this.#onlineSecond[i] !== second) {
      this.#onlineSecond[i] = second;
      this.#onlineInSecond[i] = 0;
    }
    const inSecond = ++this.#onlineInSecond[i];
    if (inSecond > this.groupOnlineMaxPerSecond) this.groupOnlineMaxPerSecond = inSecond;
  }

  report(name: string): GroupLoadReport {
    const phase = this.phase(name);
    const histogram: Histogram = [];
    phase.histogram.forEach((n, bucket) => n > 0 && histogram.push([bucket, n]));
    return {
      event: "phase",
      phase: name,
      counts: [...phase.counts],
      repeats: phase.repeats,
      histogram,
      maxMs: phase.maxMs,
      firstAt: phase.firstAt,
      lastAt: phase.lastAt,
    };
  }

  counts(churnLive: number): GroupLoadReport {
    return {
      churnLive,
      event: "counts",
      ready: this.sockets.filter((s) => s?.readyState === WebSocket.OPEN).length,
      dropped: Object.fromEntries(this.dropped),
      groupOnline: this.groupOnline,
      groupOnlineMaxPerSecond: this.groupOnlineMaxPerSecond,
      groupOnlineGaps: this.gaps,
      groupOnlineMinGapMs: Number.isFinite(this.minGapMs) ? this.minGapMs : -1,
      groupOnlineGapsUnder100Ms: this.gapsUnder100Ms,
      groupOnlineGapsUnder1s: this.gapsUnder1s,
      lastOnlineCount: this.lastOnlineCount,
      frames: Object.fromEntries(this.frames),
      rssBytes: Deno.memoryUsage().rss,
    };
  }
}

/** The churning connections: the open ones oldest first, and the next user of the pool. */
class Churn {
  readonly #plan: GroupLoadPlan;
  readonly #url: (i: number) => string;
  readonly live: WebSocket[] = [];
  #next = 0;

  constructor(plan: GroupLoadPlan, url: (i: number) => string) {
    this.#plan = plan;
    this.#url = url;
  }

  /** Opens the next user's connection; resolves with ms to `ready`, or null when it failed. */
  async openNext(errors: Map<string, number>): Promise<number | null> {
    if (this.#plan.churn.length === 0) return null;
    const i = this.#next++ % this.#plan.churn.length;
    const started = performance.now();
    const socket = await open(this.#url(i), this.#plan.churn[i], errors, () => {}, () => {
      const at = this.live.indexOf(socket!);
      if (at >= 0) this.live.splice(at, 1);
    });
    if (!socket) return null;
    this.live.push(socket);
    return performance.now() - started;
  }

  async warm(n: number): Promise<GroupLoadReport> {
    const errors = new Map<string, number>();
    let ready = 0, failed = 0;
    await Promise.all(Array.from({ length: Math.min(100, n) }, async (_, k) => {
      for (let j = k; j < n; j += 100) {
        if (await this.openNext(errors) === null) failed++;
        else ready++;
      }
    }));
    return { event: "warm", ready, failed };
  }

  async run(seconds: number, perSecond: number): Promise<GroupLoadReport> {
    const errors = new Map<string, number>();
    const openMs: number[] = [];
    let failed = 0, closed = 0, carry = 0;
    const opening: Promise<void>[] = [];
    const end = performance.now() + seconds * 1000;
    while (performance.now() < end) {
      const tick = performance.now();
      carry += perSecond / 10;
      while (carry >= 1) {
        carry--;
        const oldest = this.live.shift();
        if (oldest) {
          oldest.close();
          closed++;
        }
        opening.push(
          this.openNext(errors).then((ms) => {
            if (ms === null) failed++;
            else openMs.push(ms);
          }),
        );
      }
      await sleep(Math.max(0, 100 - (performance.now() - tick)));
    }
    await Promise.all(opening);
    openMs.sort((a, b) => a - b);
    const step = Math.max(1, openMs.length / 2000);
    const sample: number[] = [];
    for (let k = 0; k < openMs.length; k += step) sample.push(openMs[Math.floor(k)]);
    return {
      event: "churned",
      opened: openMs.length,
      failed,
      closed,
      openMs: sample,
      errors: Object.fromEntries(errors),
    };
  }

  stop(): GroupLoadReport {
    const closed = this.live.length;
    for (const socket of this.live.splice(0)) socket.close();
    return { event: "stopped", closed };
  }
}

async function main(plan: GroupLoadPlan) {
  const local = (url: string) => {
    const u = new URL(url);
    if (u.hostname === "127.0.0.1" || u.hostname === "0.0.0.0") u.hostname = plan.host;
    return u.toString();
  };
  const url = (i: number) => local(plan.servers[i % plan.servers.length]);
  const receivers = new Receivers(plan);
  const churn = new Churn(plan, url);

  // Pings as the SDK's (every 25 s), a slice of the receivers each second.
  let tick = 0;
  setInterval(() => {
    const slices = PING_MS / 1000;
    const slice = tick++ % slices;
    const all = [...receivers.sockets, ...churn.live];
    for (let i = slice; i < all.length; i += slices) {
      if (all[i]?.readyState === WebSocket.OPEN) all[i]!.send('{"op":"ping"}');
    }
  }, 1000);

  const errors = new Map<string, number>();
  const started = Date.now();
  let next = 0, ready = 0, failed = 0;
  await Promise.all(
    Array.from({ length: Math.min(plan.concurrency, plan.receivers.length) }, async () => {
      while (next < plan.receivers.length) {
        const i = next++;
        const socket = await open(
          url(i),
          plan.receivers[i],
          errors,
          (s, frame) => receivers.frame(i, s, frame),
          (code) => {
            receivers.sockets[i] = null;
            bump(receivers.dropped, String(code));
          },
        );
        receivers.sockets[i] = socket;
        if (socket) ready++;
        else failed++;
      }
    }),
  );
  say({
    event: "opened",
    ready,
    failed,
    ms: Date.now() - started,
    errors: Object.fromEntries(errors),
  });

  let buffer = "";
  for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let end;
    while ((end = buffer.indexOf("\n")) >= 0) {
      const [command, ...args] = buffer.slice(0, end).trim().split(" ");
      buffer = buffer.slice(end + 1);
      if (command === "phase") say(receivers.report(args[0]));
      else if (command === "counts") say(receivers.counts(churn.live.length));
      else if (command === "churn-warm") churn.warm(Number(args[0])).then(say);
      else if (command === "churn") churn.run(Number(args[0]), Number(args[1])).then(say);
      else if (command === "churn-stop") say(churn.stop());
      else if (command === "quit") Deno.exit(0);
    }
  }
  Deno.exit(0);
}

if (import.meta.main) {
  const path = Deno.args[0];
  if (!path) {
    console.error("usage: deno run -A bench/large_group_load.ts PLAN.json");
    Deno.exit(2);
  }
  await main(JSON.parse(await Deno.readTextFile(path)) as GroupLoadPlan);
}
