/**
 * The large-group scenario (issue 19, item 4): a group of `members` (10,000) users on a cluster
 * (2 connect, 2 logic, 1 task, 1 api on the engines of `deno task infra:up`), `online` (2,000) of
 * them connected; messages to the group at a fixed rate and as fast as the server takes them; then
 * `churn` (1,000) presence changes a second among the other members.
 *
 *   deno run -A bench/large_group.ts [--members 10000] [--online 2000] [--seconds 10]
 *                                    [--churn 1000] [--rate 10]
 *
 * Users and their sessions go straight into the database (`makeUsers`), and so do the owner's
 * friendships with every other member (a member adds only friends; 10,000 friend requests and
 * acceptances through HTTP would be 20,000 requests that measure nothing here). The group is made
 * as a client makes it: the owner's `POST /api/groups` with the first members and
 * `POST /api/groups/<id>/members` with the rest, 1,000 a request (see `MAX_ADDED`);
 * `GET /api/groups/<id>` and the store check the count.
 *
 * The receivers (`online` less the senders) are held by two load processes
 * (bench/large_group_load.ts) that ack every push as the SDK does and measure each message's
 * latency from the send time its clientMsgId carries (the same machine clock); a few senders
 * (members too) send from this process over npm:ws given by bench/main.ts (TCP_NODELAY, as the SDK's clients get in a
 * browser). Messages lost: for each receiver, the messages answered `sent` in the phase that it did
 * not receive. Stored once: the rows of the group's conversation in PostgreSQL. As fast as the
 * server takes them: each sender keeps `WINDOW` messages in flight until each comes back to it,
 * and all wait while the receivers are `MAX_BEHIND` messages behind.
 *
 * What a member's client reads of the group is timed too, with its CPU per call:
 * `GET /api/groups` (the web client's after every connect and every `group_update`) and
 * `GET /api/groups/<id>`.
 *
 * Churn: the load processes first open `churn / 2` connections of members who are offline, then
 * each second close the oldest `churn / 2` of them and open `churn / 2` others (users taken in
 * turn, none back within the window): `churn` presence changes a second in all, half online and
 * half offline. CPU of every process and engine is taken over the churn window and over a window
 * as long with the same connections and no churn (the baseline); the cost per change is the CPU
 * from the churn's start until task has taken every change off the status queue (its length is
 * sampled with redis-cli), less the baseline over that time. Each receiver counts its
 * `group_online` events and the intervals between them.
 */
import { openSql, type Sql } from "./postgres.ts";
import type { SocketConstructor, SocketLike } from "../client/socket.ts";
import { openPostgresStore } from "../shared/store/postgres.ts";
import { freshDatabase, INFRA, startIsolatedCluster } from "../tests/infra.ts";
import type { ClusterProcess } from "../scripts/cluster.ts";
import { BENCH_ENV } from "./targets.ts";
import { makeUsers } from "./connections_cluster.ts";
import { processStats } from "./resident.ts";
import { allEngineStats, type Engine, ENGINES } from "./engines.ts";
import { type LoadProcess, startLoadProcess } from "./load_process.ts";
import { TEXT_64 } from "./scenarios.ts";
import {
  bucketMs,
  type GroupLoadPlan,
  type GroupLoadReport,
  type Histogram,
} from "./large_group_load.ts";

/** Members who send, from this process. */
const SENDERS = 4;
/**
 * Messages each sender keeps in flight in the phase as fast as the server takes them, each from
 * its send until it comes back to the sender (the server answers `sent` once the log has it, long
 * before a group of thousands has it: bounding only the answers would measure a queue).
 */
const WINDOW = 2;
/**
 * Most messages the receivers may be behind the sends in that phase (the sends wait): the server
 * closes a connection with 1000 pushes unacked, and a receiver is behind when its load process
 * is starved of CPU as much as when the server is.
 */
const MAX_BEHIND = 100;
/** Load processes holding the receivers and churning. */
const LOADS = 2;
/** Most bytes of a JSON body (IM_MAX_BODY_BYTES's default), less room for the rest of it. */
const BODY_ROOM = 64 * 1024 - 512;
/**
 * Most members added by one request. The body would take 2,900 ids, but each member added is a
 * `joined` line of about 425 bytes appended in one produce request, and Kafka refuses a batch over
 * its message.max.bytes (1 MiB): an add of 2,900 was answered 503 ("Kafka did not accept the
 * records") after the store had added them.
 */
const MAX_ADDED = 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.timeOrigin + performance.now();
const fmt = (n: number, digits = 1) =>
  Number.isFinite(n) ? n.toLocaleString("en", { maximumFractionDigits: digits }) : "–";
const loadAverage = () => Deno.loadavg().map((n) => n.toFixed(2)).join(" ");

/** Options of `largeGroup`. */
export interface LargeGroupOptions {
  members: number;
  online: number;
  seconds: number;
  /** Presence changes a second (half online, half offline). */
  churn: number;
  /** Messages a second in the fixed-rate phase. */
  rate?: number;
  progress: (line: string) => void;
  say: (line: string) => void;
  /**
   * The senders' WebSocket class: bench/main.ts gives npm:ws's (TCP_NODELAY, as the SDK's
   * clients get in a browser); run alone, Deno's own.
   */
  WebSocket?: SocketConstructor;
}

/** A running bench/large_group_load.ts. */
type Load = LoadProcess<GroupLoadReport>;

const startLoad = (planPath: string): Load =>
  startLoadProcess<GroupLoadReport>("large_group_load.ts", planPath, { timeoutMs: 600_000 });

/** Asks every load process and gathers their answers. */
async function ask<E extends GroupLoadReport["event"]>(
  loads: Load[],
  command: string,
  event: E,
): Promise<Extract<GroupLoadReport, { event: E }>[]> {
  for (const l of loads) await l.send(command);
  return await Promise.all(loads.map((l) => l.next(event)));
}

/** A send under way: its `sent` answer and its own push coming back to the sender. */
interface Sending {
  sent: Promise<void>;
  back: Promise<void>;
}

/** How long a send waits for its answer, and then for its push back. */
const SEND_TIMEOUT_MS = 60_000;

/**
 * A member sending to the group over npm:ws, acking what it receives as the SDK does. Its own
 * messages come back to it with the group's fan-out on its connect server, which bounds the
 * messages in flight end to end in the phase as fast as the server takes them.
 */
class Sender {
  readonly #socket: SocketLike;
  readonly #waiting = new Map<
    string,
    { sent: (error?: string) => void; back: (error?: string) => void }
  >();

  private constructor(socket: SocketLike) {
    this.#socket = socket;
    socket.onmessage = (event) => {
      const frame = JSON.parse(String(event.data));
      if (frame.op === "message") {
        const { conversationId, seq, clientMsgId } = frame.message;
        socket.send(JSON.stringify({ op: "ack", conversationId, seq }));
        this.#waiting.get(clientMsgId)?.back();
      } else if (frame.op === "sent") {
        this.#waiting.get(frame.clientMsgId)?.sent();
      } else if (frame.op === "error" && frame.ref) {
        const waiting = this.#waiting.get(frame.ref);
        waiting?.sent(String(frame.code));
        waiting?.back(String(frame.code));
      }
    };
  }

  static open(url: string, token: string, Socket: SocketConstructor): Promise<Sender> {
    return new Promise((resolve, reject) => {
      const socket = new Socket(url);
      socket.onopen = () => socket.send(JSON.stringify({ op: "auth", token }));
      socket.onerror = () => reject(new Error(`a sender's socket to ${url} failed`));
      socket.onmessage = (event) => {
        const frame = JSON.parse(String(event.data));
        if (frame.op === "ready") resolve(new Sender(socket));
        else reject(new Error(`a sender's auth: ${event.data}`));
      };
    });
  }

  /** Sends one message of `phase`, stamped with the time now. */
  send(groupId: string, phase: string, n: number): Sending {
    const clientMsgId = `lg-${phase}-${now().toFixed(3)}-${n.toString(36)}`;
    let settled = 0;
    const waiting = { sent: (_?: string) => {}, back: (_?: string) => {} };
    const wait = (which: "sent" | "back") =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => waiting[which]("timeout"), SEND_TIMEOUT_MS);
        waiting[which] = (error?: string) => {
          clearTimeout(timer);
          waiting[which] = () => {};
          if (++settled === 2) this.#waiting.delete(clientMsgId);
          if (error) reject(new Error(error));
          else resolve();
        };
      });
    const sending = { sent: wait("sent"), back: wait("back") };
    this.#waiting.set(clientMsgId, waiting);
    this.#socket.send(JSON.stringify({
      op: "send",
      clientMsgId,
      to: { type: "group", id: groupId },
      content: { type: "text", text: TEXT_64 },
    }));
    return sending;
  }

  close(): void {
    this.#socket.close();
  }
}

/** What a send phase did from this side. */
interface Drive {
  sent: number;
  failed: Map<string, number>;
  startedAt: number;
  sendSeconds: number;
}

/**
 * Sends for `seconds`: `rate` a second in all, or as fast as the server takes them, each sender
 * keeping `WINDOW` messages in flight until they come back to it.
 */
async function drive(
  senders: Sender[],
  groupId: string,
  phase: string,
  seconds: number,
  rate: number | undefined,
  progress: (line: string) => void,
  /** Messages of the phase the receivers got so far, each receiver's counted (the max phase). */
  received?: () => Promise<{ total: number; receivers: number }>,
): Promise<Drive> {
  let sent = 0, n = 0, running = true, paused = false;
  const failed = new Map<string, number>();
  const fail = (error: Error) =>
    void failed.set(error.message, (failed.get(error.message) ?? 0) + 1);
  const one = (s: Sender) => {
    const sending = s.send(groupId, phase, n++);
    sending.back.catch(() => {});
    return { sent: sending.sent.then(() => void sent++, fail), back: sending.back };
  };
  const startedAt = now();
  const ticker = setInterval(() => progress(`${phase}: ${sent} sent`), 1000);
  if (rate) {
    let carry = 0;
    const inFlight: Promise<void>[] = [];
    const timer = setInterval(() => {
      for (carry += rate / 100; carry >= 1; carry--) {
        inFlight.push(one(senders[n % senders.length]).sent);
      }
    }, 10);
    await sleep(seconds * 1000);
    clearInterval(timer);
    const sendSeconds = (now() - startedAt) / 1000;
    await Promise.all(inFlight);
    clearInterval(ticker);
    return { sent, failed, startedAt, sendSeconds };
  }
  const watch = (async () => {
    while (running && received) {
      const { total, receivers } = await received();
      paused = n * receivers - total > MAX_BEHIND * receivers;
      await sleep(200);
    }
  })();
  const loops = senders.flatMap((s) =>
    Array.from({ length: WINDOW }, async () => {
      while (running) {
        if (paused) {
          await sleep(10);
          continue;
        }
        const { sent, back } = one(s);
        await sent;
        await back.catch(() => sleep(10));
      }
    })
  );
  await sleep(seconds * 1000);
  running = false;
  const sendSeconds = (now() - startedAt) / 1000;
  await Promise.all([...loops, watch]);
  clearInterval(ticker);
  return { sent, failed, startedAt, sendSeconds };
}

/** CPU seconds of everything measured, at one moment. */
interface Snapshot {
  at: number;
  processes: number[];
  engines: Partial<Record<Engine, number>>;
  loads: number[];
  bench: number;
}

async function snapshot(processes: ClusterProcess[], loads: Load[]): Promise<Snapshot> {
  const cpu = async (pid: number) => (await processStats(pid)).cpuSeconds;
  const [procs, engines, loadCpu, bench] = await Promise.all([
    Promise.all(processes.map((p) => cpu(p.child.pid))),
    allEngineStats(),
    Promise.all(loads.map((l) => cpu(l.child.pid))),
    cpu(Deno.pid),
  ]);
  return {
    at: now(),
    processes: procs,
    engines: Object.fromEntries(Object.entries(engines).map(([e, s]) => [e, s!.cpuSeconds])),
    loads: loadCpu,
    bench,
  };
}

/** CPU seconds used between two snapshots, by row name (a process, a layer, an engine). */
function cpuSeconds(a: Snapshot, b: Snapshot, processes: ClusterProcess[]): Map<string, number> {
  const out = new Map<string, number>();
  processes.forEach((p, i) => {
    const used = b.processes[i] - a.processes[i];
    out.set(p.name, used);
    out.set(`${p.layer} (all)`, (out.get(`${p.layer} (all)`) ?? 0) + used);
  });
  for (const e of ENGINES) {
    if (a.engines[e] !== undefined && b.engines[e] !== undefined) {
      out.set(e, b.engines[e]! - a.engines[e]!);
    }
  }
  a.loads.forEach((x, i) => out.set(`load-${i + 1}`, b.loads[i] - x));
  out.set("bench", b.bench - a.bench);
  return out;
}

/** CPU use between two snapshots, in % of a core, by row name. */
function usage(a: Snapshot, b: Snapshot, processes: ClusterProcess[]): Map<string, number> {
  const seconds = (b.at - a.at) / 1000;
  return new Map(
    [...cpuSeconds(a, b, processes)].map(([row, used]) => [row, used / seconds * 100]),
  );
}

/** What one read a client makes costs: its times, and CPU ms per call by row. */
interface ReadCost {
  path: string;
  calls: number;
  ms: number[];
  cpuMs: Map<string, number>;
}

/** `calls` GETs of `path` one after another as one member, timed, with the CPU they took. */
async function clientRead(
  api: string,
  token: string,
  path: string,
  calls: number,
  processes: ClusterProcess[],
  loads: Load[],
): Promise<ReadCost> {
  const ms: number[] = [];
  const before = await snapshot(processes, loads);
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    const response = await fetch(`${api}${path}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`GET ${path}: ${response.status}`);
    ms.push(performance.now() - started);
  }
  const after = await snapshot(processes, loads);
  const cpuMs = new Map(
    [...cpuSeconds(before, after, processes)].map(([row, used]) => [row, used * 1000 / calls]),
  );
  return { path, calls, ms: ms.sort((a, b) => a - b), cpuMs };
}

/** What the receivers got of one phase, once it has drained. */
interface Received {
  counts: number[];
  repeats: number;
  histogram: Map<number, number>;
  maxMs: number;
  lastAt: number;
}

/** Waits until every receiver has `expected` messages of the phase, or none came for 3 s. */
async function drain(
  loads: Load[],
  phase: string,
  expected: number,
  progress: (line: string) => void,
): Promise<Received> {
  let last = -1, still = 0;
  const deadline = Date.now() + 120_000;
  for (;;) {
    const reports = await ask(loads, `phase ${phase}`, "phase");
    const counts = reports.flatMap((r) => r.counts);
    const total = counts.reduce((a, b) => a + b, 0);
    progress(`${phase}: ${fmt(total, 0)} / ${fmt(expected * counts.length, 0)} received`);
    still = total === last ? still + 1 : 0;
    last = total;
    if (counts.every((c) => c >= expected) || still >= 3 || Date.now() > deadline) {
      const histogram = new Map<number, number>();
      for (const r of reports) {
        for (const [bucket, n] of r.histogram as Histogram) {
          histogram.set(bucket, (histogram.get(bucket) ?? 0) + n);
        }
      }
      return {
        counts,
        repeats: reports.reduce((a, r) => a + r.repeats, 0),
        histogram,
        maxMs: Math.max(...reports.map((r) => r.maxMs)),
        lastAt: Math.max(...reports.map((r) => r.lastAt)),
      };
    }
    await sleep(1000);
  }
}

/** The p-th percentile (0–1) of a histogram, in ms. */
function quantile(histogram: Map<number, number>, p: number): number {
  const buckets = [...histogram].sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((a, [, n]) => a + n, 0);
  let seen = 0;
  for (const [bucket, n] of buckets) {
    seen += n;
    if (seen > total * p) return bucketMs(bucket);
  }
  return NaN;
}

/** One message phase's figures. */
interface PhaseResult {
  name: string;
  drive: Drive;
  received: Received;
  cpu: Map<string, number>;
}

async function messagePhase(
  name: string,
  { senders, loads, processes, groupId, seconds, rate, progress }: {
    senders: Sender[];
    loads: Load[];
    processes: ClusterProcess[];
    groupId: string;
    seconds: number;
    rate?: number;
    progress: (line: string) => void;
  },
): Promise<PhaseResult> {
  const before = await snapshot(processes, loads);
  const progressOf = async () => {
    const counts = (await ask(loads, `phase ${name}`, "phase")).flatMap((r) => r.counts);
    return { total: counts.reduce((a, b) => a + b, 0), receivers: counts.length };
  };
  const driven = await drive(senders, groupId, name, seconds, rate, progress, progressOf);
  const received = await drain(loads, name, driven.sent, progress);
  const after = await snapshot(processes, loads);
  return { name, drive: driven, received, cpu: usage(before, after, processes) };
}

/** The user ids of `makeUsers`' users, in its order (their usernames end in `_<index>`). */
async function userIds(sql: Sql, count: number): Promise<string[]> {
  const rows = await sql<{ id: string; username: string }[]>`
    SELECT id::text AS id, username FROM users`;
  const ids: string[] = new Array(count);
  for (const { id, username } of rows) {
    ids[Number(username.slice(username.lastIndexOf("_") + 1))] = id;
  }
  if (ids.filter(Boolean).length !== count) throw new Error("makeUsers' users not all found");
  return ids;
}

/** Makes the owner a friend of every other member, straight into the store. */
async function befriendAll(database: string, owner: string, others: string[]): Promise<void> {
  const store = await openPostgresStore({ url: database, poolSize: 8 });
  try {
    let next = 0;
    const at = Date.now();
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (next < others.length) await store.friends.add(owner, others[next++], at);
    }));
  } finally {
    await store.close();
  }
}

/** Id lists whose JSON bodies fit the body limit. */
function batches(ids: string[], field: string): string[][] {
  const out: string[][] = [[]];
  let bytes = field.length + 16;
  for (const id of ids) {
    if (bytes + id.length + 3 > BODY_ROOM || out.at(-1)!.length >= MAX_ADDED) {
      out.push([]);
      bytes = field.length + 16;
    }
    out.at(-1)!.push(id);
    bytes += id.length + 3;
  }
  return out;
}

/** The group made through HTTP as its owner's client would: its id and each request's time. */
async function makeGroup(
  api: string,
  ownerToken: string,
  memberIds: string[],
  progress: (line: string) => void,
): Promise<{ groupId: string; requests: { size: number; added: number; ms: number }[] }> {
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${api}${path}`, {
      method,
      headers: { authorization: `Bearer ${ownerToken}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
    }
    return JSON.parse(text);
  };
  const [first, ...rest] = batches(memberIds, "memberIds");
  const requests: { size: number; added: number; ms: number }[] = [];
  let started = performance.now();
  const { group } = await call("POST", "/api/groups", { name: "large group", memberIds: first });
  requests.push({ size: 0, added: first.length + 1, ms: performance.now() - started });
  let size = first.length + 1;
  for (const batch of rest) {
    progress(`large group: ${size} members`);
    started = performance.now();
    await call("POST", `/api/groups/${group.id}/members`, { userIds: batch });
    requests.push({ size, added: batch.length, ms: performance.now() - started });
    size += batch.length;
  }
  return { groupId: group.id, requests };
}

/** The group as made, and what making it took. */
interface Made {
  tokens: string[];
  groupId: string;
  usersSeconds: number;
  friendsSeconds: number;
  groupSeconds: number;
  requests: { size: number; added: number; ms: number }[];
}

/** Users, the owner's friendships and the group through HTTP; checks the group's size. */
async function setUp(
  database: string,
  sql: Sql,
  api: string,
  members: number,
  { progress, say }: Pick<LargeGroupOptions, "progress" | "say">,
): Promise<Made> {
  let started = performance.now();
  const tokens = await makeUsers(database, members, progress);
  const ids = await userIds(sql, members);
  const usersSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  await befriendAll(database, ids[0], ids.slice(1));
  const friendsSeconds = (performance.now() - started) / 1000;
  say(
    `large group: ${members} users and sessions in ${fmt(usersSeconds)} s, the owner's ` +
      `friendships in ${fmt(friendsSeconds)} s`,
  );
  started = performance.now();
  const { groupId, requests } = await makeGroup(api, tokens[0], ids.slice(1), progress);
  const groupSeconds = (performance.now() - started) / 1000;
  const view = await (await fetch(`${api}/api/groups/${groupId}`, {
    headers: { authorization: `Bearer ${tokens[0]}` },
  })).json() as { members: unknown[]; onlineCount: number };
  const [{ stored }] = await sql<{ stored: number }[]>`
    SELECT count(*)::int AS stored FROM group_members WHERE group_id = ${groupId}`;
  say(
    `large group: made through HTTP in ${fmt(groupSeconds)} s (${requests.length} requests); ` +
      `GET /api/groups/<id> lists ${view.members.length} members, the store ${stored}`,
  );
  if (view.members.length !== members || stored !== members) {
    throw new Error(
      `the group has ${view.members.length} members (store ${stored}), not ${members}`,
    );
  }
  return { tokens, groupId, usersSeconds, friendsSeconds, groupSeconds, requests };
}

/** Starts the load processes with their receivers and churn pools; resolves once they are open. */
async function startLoads(
  servers: string[],
  conversationId: string,
  receivers: string[],
  pool: string[],
  planDir: string,
  loads: Load[],
): Promise<number> {
  for (let k = 0; k < LOADS; k++) {
    const plan: GroupLoadPlan = {
      servers: servers.map((_, s) => servers[(s + k) % servers.length]),
      host: `127.0.0.${k + 2}`,
      conversationId,
      receivers: receivers.filter((_, i) => i % LOADS === k),
      churn: pool.filter((_, i) => i % LOADS === k),
      concurrency: 100,
    };
    const path = `${planDir}/load-${k}.json`;
    await Deno.writeTextFile(path, JSON.stringify(plan));
    loads.push(startLoad(path));
  }
  const opened = await Promise.all(loads.map((l) => l.next("opened")));
  const failed = opened.reduce((a, o) => a + o.failed, 0);
  if (failed > 0) console.error(`large group: ${failed} receivers failed to open`);
  return opened.reduce((a, o) => a + o.ready, 0);
}

/**
 * The length of the status queue (connect's online and offline changes waiting for task), sampled
 * every 500 ms until `stop()`, and then until it is empty (at most 60 s more).
 */
function watchStatusQueue(redisUrl: string, key: string) {
  const samples: { at: number; length: number }[] = [];
  let stopped = 0;
  const length = async () => {
    const { stdout } = await new Deno.Command("redis-cli", {
      args: ["-u", redisUrl, "LLEN", key],
      stderr: "null",
    }).output();
    return Number(new TextDecoder().decode(stdout).trim());
  };
  const done = (async () => {
    for (;;) {
      const at = now();
      const n = await length();
      samples.push({ at, length: n });
      if (stopped && (n === 0 || at - stopped > 60_000)) return;
      await sleep(500);
    }
  })();
  return {
    /** From now on, sampling ends once the queue is empty. */
    async stop(): Promise<StatusQueueFigures> {
      stopped = now();
      await done;
      const atStop = samples.findLast((s) => s.at <= stopped)?.length ?? NaN;
      const last = samples.at(-1)!;
      return {
        max: Math.max(...samples.map((s) => s.length)),
        atEnd: atStop,
        emptyAfterSeconds: last.length === 0 ? (last.at - stopped) / 1000 : NaN,
      };
    },
  };
}

/** The status queue over the churn: its longest, at the churn's end, and when it was empty. */
interface StatusQueueFigures {
  max: number;
  atEnd: number;
  /** Seconds after the churn's end until task had taken every change (NaN: not in 60 s). */
  emptyAfterSeconds: number;
}

/** What the churn windows measured. */
interface Churned {
  idle: Map<string, number>;
  churnCpu: Map<string, number>;
  churnSeconds: number;
  warmed: number;
  churned: Extract<GroupLoadReport, { event: "churned" }>[];
  /** At the start and end of the baseline, at the end of the churn, and 1.5 s later. */
  counts: { idle: Counts[]; before: Counts[]; end: Counts[]; after: Counts[] };
  /** Between the `before` and `end` counts. */
  countingSeconds: number;
  statusQueue: StatusQueueFigures;
  /** CPU seconds from the churn's start until task had taken every change, and that time. */
  cost: Map<string, number>;
  costSeconds: number;
}

/**
 * The churners' level online first, then a window without churn (the baseline) and one with
 * `churn` presence changes a second, CPU taken over each.
 */
async function churnPhase(
  loads: Load[],
  processes: ClusterProcess[],
  seconds: number,
  churn: number,
  progress: (line: string) => void,
): Promise<Churned> {
  const perLoad = churn / 2 / LOADS;
  const warmed = await ask(loads, `churn-warm ${Math.round(perLoad)}`, "warm");
  progress("large group: settling before the baseline");
  await sleep(3000);
  const countsIdle = await ask(loads, "counts", "counts");
  const idleBefore = await snapshot(processes, loads);
  await sleep(seconds * 1000);
  const idleAfter = await snapshot(processes, loads);
  const countsBefore = await ask(loads, "counts", "counts");
  const countedAt = now();
  progress(`large group: churn for ${seconds} s`);
  const { IM_REDIS_PREFIX: prefix } = processes[0].env;
  const queue = watchStatusQueue(INFRA.redis.split(",")[0], `${prefix}{status}`);
  const churned = await ask(loads, `churn ${seconds} ${perLoad}`, "churned");
  const churnAfter = await snapshot(processes, loads);
  const countsEnd = await ask(loads, "counts", "counts");
  const countingSeconds = (now() - countedAt) / 1000;
  progress("large group: waiting for task to take every status change");
  const statusQueue = await queue.stop();
  const drained = await snapshot(processes, loads);
  await sleep(1500);
  const countsAfter = await ask(loads, "counts", "counts");
  await ask(loads, "churn-stop", "stopped");
  return {
    idle: usage(idleBefore, idleAfter, processes),
    churnCpu: usage(idleAfter, churnAfter, processes),
    churnSeconds: (churnAfter.at - idleAfter.at) / 1000,
    warmed: warmed.reduce((a, w) => a + w.ready, 0),
    churned,
    counts: { idle: countsIdle, before: countsBefore, end: countsEnd, after: countsAfter },
    countingSeconds,
    statusQueue,
    cost: cpuSeconds(idleAfter, drained, processes),
    costSeconds: (drained.at - idleAfter.at) / 1000,
  };
}

/** Runs the scenario; `say` gets milestones, `progress` transient lines. */
export async function largeGroup(
  {
    members,
    online,
    seconds,
    churn,
    rate = 10,
    progress,
    say,
    WebSocket = globalThis.WebSocket as unknown as SocketConstructor,
  }: LargeGroupOptions,
): Promise<{ table: string }> {
  if (online > members - 1 || online <= SENDERS) {
    throw new Error(`--online must be above ${SENDERS} and below --members`);
  }
  const database = await freshDatabase();
  const sql = openSql(database, 2);
  say(`large group: a cluster (2 connect, 2 logic, 1 task, 1 api), groups up to ${members}`);
  const cluster = await startIsolatedCluster({
    ...BENCH_ENV,
    IM_POSTGRES_URL: database,
    IM_HTTP_HOST: "0.0.0.0",
    IM_MAX_UNAUTHENTICATED_PER_ADDRESS: "1000000",
    IM_MAX_HTTP_CONNECTIONS_PER_ADDRESS: "1000000",
    IM_LEASE_TTL_S: "5",
    IM_MAX_GROUP_SIZE: String(Math.max(2000, members)),
  }, { instances: 1, layers: { connect: 2, logic: 2 } });
  const { processes } = cluster;
  const loads: Load[] = [];
  const senders: Sender[] = [];
  const planDir = await Deno.makeTempDir({ prefix: "im-large-group-" });
  try {
    const made = await setUp(database, sql, cluster.url, members, { progress, say });
    const { tokens, groupId } = made;
    // Members: 0 the owner (HTTP only), 1..SENDERS the senders, then the receivers, then the
    // churn pool (offline until the churn).
    const servers = processes.filter((p) => p.layer === "connect")
      .map((p) => `ws://127.0.0.1:${p.env.IM_HTTP_PORT}/ws`);
    const receivers = tokens.slice(1 + SENDERS, online + 1);
    const pool = tokens.slice(online + 1);
    const started = performance.now();
    const ready = await startLoads(servers, `g:${groupId}`, receivers, pool, planDir, loads);
    for (let s = 1; s <= SENDERS; s++) {
      senders.push(await Sender.open(servers[s % servers.length], tokens[s], WebSocket));
    }
    say(
      `large group: ${ready} receivers and ${SENDERS} senders online in ${
        fmt((performance.now() - started) / 1000)
      } s`,
    );

    progress("large group: settling");
    await sleep(3000);
    const context = { senders, loads, processes, groupId, seconds, progress };
    // A few messages first, so that no phase measures the first use of a path.
    await drive(senders, groupId, "warm", 1, 20, () => {});
    await drain(loads, "warm", 1, progress);
    const fixed = await messagePhase("rate", { ...context, rate });
    say(`large group: ${fixed.drive.sent} messages at ${rate}/s`);
    const max = await messagePhase("max", context);
    say(`large group: ${max.drive.sent} messages as fast as taken`);
    const storedRows = await storedCounts(sql, `g:${groupId}`);
    // What a member's client reads: the web client asks GET /api/groups after every (re)connect
    // and every group_update, and GET /api/groups/<id> for the open group's members.
    const member = tokens[1 + SENDERS];
    const reads = [
      await clientRead(cluster.url, member, "/api/groups", 20, processes, loads),
      await clientRead(cluster.url, member, `/api/groups/${groupId}`, 5, processes, loads),
    ];
    const churned = await churnPhase(loads, processes, seconds, churn, progress);
    say(`large group: churn done`);
    const table = report({
      members,
      online,
      seconds,
      churn,
      rate,
      ready,
      ...made,
      phases: [fixed, max],
      storedRows,
      reads,
      ...churned,
      receivers: receivers.length,
      pool: pool.length,
      load: loadAverage(),
      processes,
    });
    return { table };
  } finally {
    for (const s of senders) s.close();
    for (const l of loads) await l.stop();
    await cluster.stop();
    await sql.end();
    await dropDatabase(database);
    await Deno.remove(planDir, { recursive: true });
  }
}

/** Rows of the group's conversation in PostgreSQL: the bench's messages by phase, and the rest. */
async function storedCounts(
  sql: Sql,
  conversationId: string,
): Promise<{ byPhase: Map<string, number>; conversation: number; table: number }> {
  const rows = await sql<{ phase: string; n: number }[]>`
    SELECT split_part(client_msg_id, '-', 2) AS phase, count(*)::int AS n FROM messages
    WHERE conversation_id = ${conversationId} AND client_msg_id LIKE 'lg-%' GROUP BY 1`;
  const [{ conversation }] = await sql<{ conversation: number }[]>`
    SELECT count(*)::int AS conversation FROM messages WHERE conversation_id = ${conversationId}`;
  const [{ table }] = await sql<{ table: number }[]>`SELECT count(*)::int AS table FROM messages`;
  return { byPhase: new Map(rows.map((r) => [r.phase, r.n])), conversation, table };
}

async function dropDatabase(url: string): Promise<void> {
  const name = url.split("/").pop()!;
  const admin = openSql(`${INFRA.postgres}/postgres`);
  try {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } catch {
    /* left for later */
  } finally {
    await admin.end();
  }
}

type Counts = Extract<GroupLoadReport, { event: "counts" }>;

/** Everything `report` prints. */
interface Figures {
  members: number;
  online: number;
  seconds: number;
  churn: number;
  rate: number;
  ready: number;
  usersSeconds: number;
  friendsSeconds: number;
  groupSeconds: number;
  requests: { size: number; added: number; ms: number }[];
  phases: PhaseResult[];
  storedRows: { byPhase: Map<string, number>; conversation: number; table: number };
  reads: ReadCost[];
  idle: Map<string, number>;
  churnCpu: Map<string, number>;
  /** The churn window as measured (the asked seconds and the last opens' settling). */
  churnSeconds: number;
  warmed: number;
  churned: Extract<GroupLoadReport, { event: "churned" }>[];
  counts: { idle: Counts[]; before: Counts[]; end: Counts[]; after: Counts[] };
  countingSeconds: number;
  statusQueue: StatusQueueFigures;
  cost: Map<string, number>;
  costSeconds: number;
  receivers: number;
  pool: number;
  load: string;
  processes: ClusterProcess[];
}

function report(f: Figures): string {
  return [
    ...setupLines(f),
    "",
    ...messageLines(f),
    "",
    ...readLines(f),
    "",
    ...churnLines(f),
  ].join("\n");
}

function setupLines(f: Figures): string[] {
  const adds = f.requests.map((r) => `${fmt(r.ms / 1000, 2)} s at ${fmt(r.size, 0)}`).join(", ");
  return [
    `Large group: ${fmt(f.members, 0)} members, ${fmt(f.ready + SENDERS, 0)} of them online ` +
    `(${fmt(f.ready, 0)} receivers in ${LOADS} load processes, ${SENDERS} senders in the bench ` +
    `process); cluster of 2 connect, 2 logic, 1 task, 1 api on the single-node engines; ` +
    `load average ${f.load} at the end.`,
    "",
    `Setup: users and sessions straight into PostgreSQL (${fmt(f.usersSeconds)} s), the owner's ` +
    `${fmt(f.members - 1, 0)} friendships too (${fmt(f.friendsSeconds)} s); the group through ` +
    `HTTP as its owner's client (${f.requests.length} requests of at most ${
      fmt(MAX_ADDED, 0)
    } ids, ` +
    `${fmt(f.groupSeconds)} s; each request's time at the size it found: ${adds}).`,
  ];
}

function messageLines(f: Figures): string[] {
  const col = (fn: (p: PhaseResult) => string) => f.phases.map(fn).join(" | ");
  const stats = (p: PhaseResult) => {
    const total = p.received.counts.reduce((a, b) => a + b, 0);
    const lost = p.received.counts.reduce((a, c) => a + Math.max(0, p.drive.sent - c), 0);
    const short = p.received.counts.filter((c) => c < p.drive.sent).length;
    const spanSeconds = (p.received.lastAt - p.drive.startedAt) / 1000;
    return { total, lost, short, spanSeconds };
  };
  const failed = (p: PhaseResult) =>
    [...p.drive.failed].map(([why, n]) => `${n} ${why}`).join(", ") || "0";
  const q = (p: PhaseResult, x: number) => fmt(quantile(p.received.histogram, x), 1);
  const cpu = (p: PhaseResult, row: string) => fmt(p.cpu.get(row) ?? NaN, 0);
  const layers = ["connect (all)", "logic (all)", "task (all)", "api (all)", ...ENGINES];
  return [
    `Messages to the group (${SENDERS} senders; ${fmt(f.receivers, 0)} receivers, each acking ` +
    `every push; ${f.seconds} s each; latency from the send to the receipt, same clock):`,
    "",
    `| figure | ${fmt(f.rate, 0)}/s fixed | as fast as taken (${
      SENDERS * WINDOW
    } in flight, ≤ ${MAX_BEHIND} behind) |`,
    "|---|---:|---:|",
    `| messages answered \`sent\` | ${col((p) => fmt(p.drive.sent, 0))} |`,
    `| messages sent/s | ${col((p) => fmt(p.drive.sent / p.drive.sendSeconds))} |`,
    `| sends failed | ${col(failed)} |`,
    `| deliveries (to receivers) | ${col((p) => fmt(stats(p).total, 0))} |`,
    `| deliveries/s (first send to last receipt) | ${
      col((p) => fmt(stats(p).total / stats(p).spanSeconds, 0))
    } |`,
    `| time to the last receipt (s) | ${col((p) => fmt(stats(p).spanSeconds, 2))} |`,
    `| latency p50 / p99 / max (ms) | ${
      col((p) => `${q(p, 0.5)} / ${q(p, 0.99)} / ${fmt(p.received.maxMs, 1)}`)
    } |`,
    `| messages lost (receiver × message missing) | ${col((p) => fmt(stats(p).lost, 0))} |`,
    `| receivers missing any | ${col((p) => fmt(stats(p).short, 0))} |`,
    `| repeats received | ${col((p) => fmt(p.received.repeats, 0))} |`,
    `| rows stored in PostgreSQL for the phase | ${
      col((p) => fmt(f.storedRows.byPhase.get(p.name) ?? 0, 0))
    } |`,
    ...layers.map((row) =>
      `| CPU ${row.replace(" (all)", "")} (% of a core) | ${col((p) => cpu(p, row))} |`
    ),
    `| CPU load processes / bench (% of a core) | ${
      col((p) => `${cpu(p, "load-1")} + ${cpu(p, "load-2")} / ${cpu(p, "bench")}`)
    } |`,
    "",
    `Stored once: the group's conversation holds ${fmt(f.storedRows.conversation, 0)} rows ` +
    `(${fmt(sumMap(f.storedRows.byPhase), 0)} bench messages, warm-up included, and ` +
    `${fmt(f.storedRows.conversation - sumMap(f.storedRows.byPhase), 0)} system lines of ` +
    `the group's making); the whole messages table ${fmt(f.storedRows.table, 0)} rows, for ` +
    `${fmt(f.members, 0)} members.`,
  ];
}

function readLines(f: Figures): string[] {
  const rows = ["api (all)", "logic (all)", "redis", "postgres"];
  return [
    `Reads a member's client makes, one after another (${fmt(f.ready + SENDERS, 0)} online):`,
    "",
    `| request | calls | ms p50 / max | CPU ms per call: ${
      rows.map((r) => r.replace(" (all)", "")).join(" / ")
    } |`,
    "|---|---:|---:|---:|",
    ...f.reads.map((r) =>
      `| GET ${r.path.replace(/\/\d+$/, "/<id>")} | ${r.calls} | ${
        fmt(r.ms[Math.floor(r.ms.length / 2)], 1)
      } / ${fmt(r.ms.at(-1)!, 1)} | ${
        rows.map((row) => fmt(r.cpuMs.get(row) ?? NaN, 1)).join(" / ")
      } |`
    ),
  ];
}

function sumOf(
  counts: Counts[],
  key: "groupOnlineGaps" | "groupOnlineGapsUnder100Ms" | "groupOnlineGapsUnder1s",
): string {
  return fmt(counts.reduce((a, c) => a + c[key], 0), 0);
}

function sumMap(map: Map<string, number>): number {
  return [...map.values()].reduce((a, b) => a + b, 0);
}

function churnLines(f: Figures): string[] {
  const opened = f.churned.reduce((a, c) => a + c.opened, 0);
  const closed = f.churned.reduce((a, c) => a + c.closed, 0);
  const failed = f.churned.reduce((a, c) => a + c.failed, 0);
  const changes = opened + closed;
  const openMs = f.churned.flatMap((c) => c.openMs).sort((a, b) => a - b);
  const pick = (p: number) => openMs[Math.min(openMs.length - 1, Math.floor(openMs.length * p))];
  const sum = (cs: Counts[], key: "groupOnline") => cs.reduce((a, c) => a + c[key], 0);
  const during = sum(f.counts.end, "groupOnline") - sum(f.counts.before, "groupOnline");
  const idleEvents = sum(f.counts.before, "groupOnline") - sum(f.counts.idle, "groupOnline");
  const ready = f.counts.after.reduce((a, c) => a + c.ready, 0);
  const maxPerSecond = Math.max(...f.counts.after.map((c) => c.groupOnlineMaxPerSecond));
  const lastCount = f.counts.after[0].lastOnlineCount;
  const dropped = new Map<string, number>();
  for (const c of f.counts.after) {
    for (const [code, n] of Object.entries(c.dropped)) {
      dropped.set(code, (dropped.get(code) ?? 0) + n);
    }
  }
  const errors = new Map<string, number>();
  for (const c of f.churned) {
    for (const [why, n] of Object.entries(c.errors)) errors.set(why, (errors.get(why) ?? 0) + n);
  }
  const whyFailed = [...errors].map(([why, n]) => `${n} ${why}`).join(", ");
  const reuse = f.pool < f.warmed + opened
    ? ` The churn pool (${
      fmt(f.pool, 0)
    } members) was smaller than the opens: some users came back.`
    : "";
  const rows = [
    ...f.processes.map((p) => p.name),
    "connect (all)",
    "logic (all)",
    "task (all)",
    "api (all)",
    ...ENGINES,
    "load-1",
    "load-2",
    "bench",
  ];
  const line = (row: string) => {
    const idle = f.idle.get(row) ?? NaN;
    const busy = f.churnCpu.get(row) ?? NaN;
    // Everything the changes cost, task's backlog included, less the baseline over that time.
    const perChange = ((f.cost.get(row) ?? NaN) - idle / 100 * f.costSeconds) * 1e6 / changes;
    return `| ${row} | ${fmt(idle, 1)} | ${fmt(busy, 1)} | ${fmt(busy - idle, 1)} | ${
      fmt(perChange, 0)
    } |`;
  };
  return [
    `Churn: ${fmt(changes, 0)} presence changes in ${f.seconds} s (${fmt(opened, 0)} members ` +
    `online, ${fmt(closed, 0)} offline; ${fmt(changes / f.seconds, 0)}/s asked ${
      fmt(f.churn, 0)
    }/s; ` +
    `${fmt(f.warmed, 0)} churners online throughout, users taken in turn; ${failed} opens failed${
      whyFailed ? `: ${whyFailed}` : ""
    }). ` +
    `A churner's connection ready in p50 ${fmt(pick(0.5), 1)} ms, p99 ${fmt(pick(0.99), 1)} ms.` +
    reuse,
    "",
    `| process | CPU without churn (% of a core) | with churn (the ${
      fmt(f.churnSeconds, 1)
    } s window) | difference | CPU µs per presence change (the ${
      fmt(f.costSeconds, 1)
    } s until task had taken every change, less the baseline) |`,
    "|---|---:|---:|---:|---:|",
    ...rows.map(line),
    "",
    "| group_online and the status queue | value |",
    "|---|---:|",
    `| events per online receiver per second, during the churn | ${
      fmt(during / f.receivers / f.countingSeconds, 2)
    } |`,
    `| the same in the baseline window | ${fmt(idleEvents / f.receivers / f.seconds, 2)} |`,
    `| most one receiver got in one clock second (whole run) | ${maxPerSecond} |`,
    `| intervals between two events at one receiver: under 100 ms / under 1 s / all (whole run) | ${
      sumOf(f.counts.after, "groupOnlineGapsUnder100Ms")
    } / ${sumOf(f.counts.after, "groupOnlineGapsUnder1s")} / ${
      sumOf(f.counts.after, "groupOnlineGaps")
    } |`,
    `| least interval between two events at one receiver (ms) | ${
      fmt(Math.min(...f.counts.after.map((c) => c.groupOnlineMinGapMs)), 1)
    } |`,
    `| status changes waiting for task: most / at the churn's end | ${
      fmt(f.statusQueue.max, 0)
    } / ${fmt(f.statusQueue.atEnd, 0)} |`,
    `| seconds after the churn's end until task had taken them all | ${
      fmt(f.statusQueue.emptyAfterSeconds, 1)
    } |`,
    `| count in the last event (first receiver) vs online now | ${lastCount} vs ${
      fmt(ready + SENDERS + f.counts.after.reduce((a, c) => a + c.churnLive, 0), 0)
    } |`,
    `| receivers still connected / dropped by the server | ${fmt(ready, 0)} / ${
      [...dropped].map(([code, n]) => `${n} (${code})`).join(", ") || "0"
    } |`,
  ];
}

function option(name: string, fallback: number): number {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}

if (import.meta.main) {
  const progress = (line: string) =>
    Deno.stderr.writeSync(new TextEncoder().encode(`\r\x1b[K  ${line}`));
  const say = (line: string) => console.error(`\r\x1b[K${line}`);
  const { table } = await largeGroup({
    members: option("members", 10_000),
    online: option("online", 2_000),
    seconds: option("seconds", 10),
    churn: option("churn", 1_000),
    rate: option("rate", 10),
    progress,
    say,
  });
  say("");
  console.log(table);
  Deno.exit(0);
}
