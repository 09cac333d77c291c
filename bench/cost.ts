/**
 * The cost scenario (issue 19, item 5): what each layer process and each engine spends per unit of
 * work, for the capacity model of docs/SCALING.md.
 *
 *   deno run -A bench/cost.ts [--seconds 10] [--pair-rates 100,500,2000] [--group-rate 100]
 *     [--group-online 10] [--group-high-rate 500] [--idle-users 2500] [--churn-users 3000]
 *     [--churn-rates 50,200,500]
 *
 * A cluster of one process per layer (api, logic, task, connect) on the single-node engines of
 * `deno task infra:up`, and a second connect process that no client uses: a group message goes to
 * every connect server, and what it costs one with no member there is measured on it. Each cost is
 * the CPU seconds a process (or an engine: bench/engines.ts's processes, PostgreSQL as its
 * postmaster's tree) used in a window of load, less what it used at rest over as long just before
 * (the baseline), divided by the units of work done:
 * - messages between friends in pairs, each delivered to the online peer, at a few fixed rates
 *   (batching makes a message cheaper the busier a process is);
 * - messages to a group at a fixed rate, all members online, then only a few: the difference per
 *   further delivery; then few online at a higher rate;
 * - idle connections held (pinging every 25 s as the SDK does), per connection and second;
 * - presence changes at a few rates: a user's only connection closed, or one opened and
 *   authenticated, each a change; each churned user has friends online, who are told; a user
 *   stays offline longer than the grace in which a reconnect cancels the offline.
 * Memory: the resident memory of each process and engine (Redis: `INFO memory` used_memory) before
 * and after every idle user opened one connection (per online user), then a second (per further
 * connection), each sampled after the cluster has been idle for `memoryIdleSeconds` (60 s: a few
 * seconds after 5,000 connections opened, V8 still holds their garbage, and one process's growth
 * is another's shrinking).
 *
 * The pairs and group clients are the SDK in this process; the idle and churned connections are
 * held by a load process (bench/cost_load.ts). Neither process's CPU is counted.
 */
import { ImClient, type SocketConstructor } from "../client/mod.ts";
import { Snowflake } from "../shared/snowflake.ts";
import { openPostgresStore } from "../shared/store/postgres.ts";
import { hashToken } from "../shared/token_hash.ts";
import { freshDatabase, INFRA, startIsolatedCluster } from "../tests/infra.ts";
import type { Cluster } from "../scripts/cluster.ts";
import { makeUsers } from "./connections_cluster.ts";
import { engineStats } from "./engines.ts";
import { median, processStats, sampleResident } from "./resident.ts";
import { drive, recorder, sleep } from "./scenarios.ts";
import { searchIndexBytes } from "./postgres.ts";
import { BENCH_ENV } from "./targets.ts";
import type { CostLoadPlan, CostLoadReport, Failures } from "./cost_load.ts";

/** Why opens failed, for a report: ": 3 timeout, 2 closed 1006", or nothing when none did. */
function failures(...whys: Failures[]): string {
  const sum: Failures = {};
  for (const why of whys) for (const [w, n] of Object.entries(why)) sum[w] = (sum[w] ?? 0) + n;
  const parts = Object.entries(sum).sort((a, b) => b[1] - a[1]).map(([w, n]) => `${n} ${w}`);
  return parts.length ? `: ${parts.join(", ")}` : "";
}

/** The table's columns: the layer processes, then the engines. */
export const COLUMNS = [
  "api",
  "logic",
  "task",
  "connect",
  "kafka",
  "redis",
  "etcd",
  "postgres",
] as const;
export type Column = typeof COLUMNS[number];
type Layer = "api" | "logic" | "task" | "connect";
const LAYERS: Layer[] = ["api", "logic", "task", "connect"];
/**
 * The processes measured: one per layer, and a second connect process that holds no client
 * (`spare`): what a group message costs a connect server where no member is.
 */
type Process = Layer | "spare";
const PROCESSES: Process[] = [...LAYERS, "spare"];
/** What CPU is kept by: a column, or the spare connect process. */
type Key = Column | "spare";
const KEYS: Key[] = [...COLUMNS, "spare"];
const ENGINES = ["kafka", "redis", "etcd", "postgres"] as const;

/** One cost by column, and their sum. */
export type Costs = Record<Column | "total", number>;

/**
 * The costs the capacity model uses. A message costs less the busier the processes are (the sends
 * that arrive together are checked, appended, stored and pushed as one batch): the model takes a
 * message in pairs at the highest rate measured. A group message is a message in pairs plus its
 * further deliveries: what a message to the group costs with all members online beyond what it
 * costs with few online, per further delivery. Presence: at the highest rate measured.
 */
export const ROWS = {
  pairMessage: "CPU µs per message in pairs, at the highest rate",
  groupDelivery: "CPU µs per further delivery of a group message",
  spareGroupMessage: "CPU µs per group message at a connect server with no member, highest rate",
  idleConnection: "CPU µs per idle connection per second",
  presenceChange: "CPU µs per presence change, at the highest rate",
  userMemory: "KB per online user (first connection)",
  connectionMemory: "KB per further connection",
  heldMemory: "KB per connection held (both steps)",
  storedPerMessage: "bytes stored per message in pairs",
} as const;
export type CostRow = keyof typeof ROWS;

/** Messages at one rate: what was sent and delivered, and its cost per message. */
export interface RateWindow {
  /** Messages per second asked for. */
  asked: number;
  sent: number;
  /** Messages per second sent (answered `sent`) over the window. */
  perSecond: number;
  deliveries: number;
  /** CPU µs per message, by column, less the baseline. */
  costs: Costs;
  /** CPU µs per message of the connect process with no client. */
  spare: number;
  /** CPU of this process over the window, % of one core (not counted). */
  benchCpuPercent: number;
}

/** What the scenario measured. */
export interface CostFigures {
  date: string;
  cores: number;
  /** The 1, 5, 15 minute load averages at the start and at the end. */
  loadAverage: { start: number[]; end: number[] };
  parameters: CostParameters;
  costs: Record<CostRow, Costs>;
  /** Each message window, by rate. */
  pairs: RateWindow[];
  /** The group's windows: all members online, then `groupOnline`, then those at `groupHighRate`. */
  group: RateWindow[];
  /** Presence changes at each rate: how many, how many opens failed, their cost. */
  presence: { asked: number; changes: number; failed: number; why: Failures; costs: Costs }[];
  idleConnections: number;
  /** Resident MB of each process and engine at rest, before the idle connections (Redis: used). */
  restingMb: Record<Column, number>;
  /** Redis growth beside its used_memory (which the table gives): RSS, KB. */
  redisRssKb: { perUser: number; perConnection: number };
  /** CPU of the load process while idle and while churning, % of one core (not counted). */
  loadCpuPercent: { idle: number; churn: number };
}

/** The load the scenario puts on. */
export interface CostParameters {
  /** Seconds of each window and of its baseline. */
  seconds: number;
  pairs: number;
  /**
   * Messages per second over all pairs, one window each, ascending; the last is the one the
   * model uses.
   */
  pairRates: number[];
  groupSize: number;
  /** Messages per second to the group, in both of its windows. */
  groupRate: number;
  /** Members online in the group's second window (the first has all). */
  groupOnline: number;
  /**
   * Messages per second to the group in a third window, `groupOnline` online: what a group
   * message costs a connect server with no member when task pushes several at once.
   */
  groupHighRate: number;
  /** Users who hold idle connections (two each, in the end). */
  idleUsers: number;
  /** Users who go on- and offline, half of them online at a time. */
  churnUsers: number;
  /** Presence changes per second (half opens, half closes), one window each, ascending. */
  churnRates: number[];
  /** Friends of each churned user among the idle (online) users. */
  churnFriends: number;
  /** Seconds the cluster stays idle before each memory sample. */
  memoryIdleSeconds: number;
}

const DEFAULTS: Omit<CostParameters, "seconds"> = {
  pairs: 50,
  pairRates: [100, 500, 2000],
  groupSize: 50,
  groupRate: 100,
  groupOnline: 10,
  groupHighRate: 500,
  idleUsers: 2500,
  churnUsers: 3000,
  churnRates: [50, 200, 500],
  churnFriends: 4,
  memoryIdleSeconds: 60,
};

/** task's default `IM_PRESENCE_GRACE_MS`: friends hear of an offline this much later. */
const PRESENCE_GRACE_MS = 3000;
/** How long after the last send a message window goes on: deliveries, acks, the search index. */
const DRAIN_MS = 3000;
const ROOT = new URL("../", import.meta.url).pathname;
const INFRA_DIR = Deno.env.get("IM_INFRA_DIR") ?? "/tmp/im-infra";

// --- CPU, by process id, so that a PostgreSQL backend that comes or goes is counted right ------

/** CPU seconds used so far by each process of each column. */
interface CpuSample {
  at: number;
  byPid: Record<Key, Map<number, number>>;
}

/** CPU seconds and duration of a window. */
interface Span {
  seconds: number;
  cpu: Record<Key, number>;
}

async function readPid(path: string): Promise<number | undefined> {
  try {
    const pid = Number((await Deno.readTextFile(path)).split("\n")[0].trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** An engine's processes: its pid file's (bench/engines.ts reads the same), PostgreSQL's tree. */
async function enginePids(engine: typeof ENGINES[number]): Promise<number[]> {
  if (engine !== "postgres") {
    const pid = await readPid(`${INFRA_DIR}/${engine}.pid`);
    return pid ? [pid] : [];
  }
  const pid = await readPid(`${INFRA_DIR}/pg/data/postmaster.pid`);
  if (!pid) return [];
  const { stdout } = await new Deno.Command("ps", {
    args: ["--ppid", String(pid), "-o", "pid="],
    stderr: "null",
  }).output();
  const children = new TextDecoder().decode(stdout).split("\n").map((l) => Number(l.trim()));
  return [pid, ...children.filter((n) => n > 0)];
}

async function sampleCpu(app: Record<Process, number>): Promise<CpuSample> {
  const at = performance.now();
  const pids: [Key, number[]][] = [
    ...PROCESSES.map((l): [Key, number[]] => [l, [app[l]]]),
    ...await Promise.all(ENGINES.map(async (e): Promise<[Key, number[]]> => [
      e,
      await enginePids(e),
    ])),
  ];
  const byPid = Object.fromEntries(KEYS.map((c) => [c, new Map()])) as CpuSample["byPid"];
  await Promise.all(pids.flatMap(([column, list]) =>
    list.map(async (pid) => {
      try {
        byPid[column].set(pid, (await processStats(pid)).cpuSeconds);
      } catch { /* a backend that exited meanwhile */ }
    })
  ));
  return { at, byPid };
}

/** CPU between two samples; a process that appeared in between counts whole. */
function between(a: CpuSample, b: CpuSample): Span {
  const cpu = {} as Record<Key, number>;
  for (const c of KEYS) {
    let sum = 0;
    for (const [pid, seconds] of b.byPid[c]) sum += seconds - (a.byPid[c].get(pid) ?? 0);
    cpu[c] = sum;
  }
  return { seconds: (b.at - a.at) / 1000, cpu };
}

/** CPU over `fn`'s run. */
async function measured<T>(
  app: Record<Process, number>,
  fn: () => Promise<T>,
): Promise<{ span: Span; value: T }> {
  const before = await sampleCpu(app);
  const value = await fn();
  return { span: between(before, await sampleCpu(app)), value };
}

/** CPU at rest over `seconds`. */
async function baseline(app: Record<Process, number>, seconds: number): Promise<Span> {
  return (await measured(app, () => sleep(seconds * 1000))).span;
}

/** CPU µs per unit: the window's CPU less the baseline's rate over as long, over `units`. */
function cpuPerUnit(load: Span, base: Span, units: number, key: Key): number {
  return ((load.cpu[key] - (base.cpu[key] / base.seconds) * load.seconds) / units) * 1e6;
}

/** `cpuPerUnit` of every column, and their sum. */
function perUnit(load: Span, base: Span, units: number): Costs {
  const out = { total: 0 } as Costs;
  for (const c of COLUMNS) {
    out[c] = cpuPerUnit(load, base, units, c);
    out.total += out[c];
  }
  return out;
}

/**
 * Waits `minMs`, then until the layer processes used under `cores` in two seconds (a burst of
 * opens has been handled, the garbage it left collected), at most `maxMs` more.
 */
async function settle(
  app: Record<Process, number>,
  minMs: number,
  { cores = 0.1, maxMs = 30_000 }: { cores?: number; maxMs?: number } = {},
) {
  await sleep(minMs);
  const deadline = Date.now() + maxMs;
  let last = await sampleCpu(app);
  while (Date.now() < deadline) {
    await sleep(2000);
    const now = await sampleCpu(app);
    const span = between(last, now);
    if (PROCESSES.reduce((a, l) => a + span.cpu[l], 0) / span.seconds < cores) return;
    last = now;
  }
}

/** What the layer processes use at rest, in cores, plus `margin`: quiet enough to measure. */
function quiet(base: Span, margin: number): number {
  return PROCESSES.reduce((a, l) => a + base.cpu[l], 0) / base.seconds + margin;
}

// --- Memory ----------------------------------------------------------------------------------

/** Redis's `INFO memory` used_memory, in bytes, over a plain connection. */
async function redisUsedMemory(): Promise<number> {
  const url = new URL(INFRA.redis.split(",")[0]);
  const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
  try {
    await conn.write(new TextEncoder().encode("INFO memory\r\n"));
    const buffer = new Uint8Array(1 << 16);
    let text = "";
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      text += new TextDecoder().decode(buffer.subarray(0, n));
      const head = /^\$(\d+)\r\n/.exec(text);
      if (head && text.length >= head[0].length + Number(head[1])) break;
    }
    return Number(/^used_memory:(\d+)/m.exec(text)?.[1]);
  } finally {
    conn.close();
  }
}

/** Resident KB of each column (Redis: used_memory), medians of several samples; Redis RSS too. */
async function sampleMemory(
  app: Record<Process, number>,
): Promise<Record<Column, number> & { redisRss: number }> {
  const [layers, engines] = await Promise.all([
    Promise.all(
      LAYERS.map(async (l) =>
        (await sampleResident(app[l], { count: 13, everyMs: 500 })).median / 1024
      ),
    ),
    (async () => {
      const samples: Record<string, number>[] = [];
      for (let i = 0; i < 13; i++) {
        if (i > 0) await sleep(500);
        const one: Record<string, number> = { redisUsed: (await redisUsedMemory()) / 1024 };
        for (const e of ENGINES) one[e] = (await engineStats(e))?.rssKb ?? NaN;
        samples.push(one);
      }
      const mid = (key: string) => median(samples.map((s) => s[key]));
      return {
        kafka: mid("kafka"),
        redis: mid("redisUsed"),
        etcd: mid("etcd"),
        postgres: mid("postgres"),
        redisRss: mid("redis"),
      };
    })(),
  ]);
  return { api: layers[0], logic: layers[1], task: layers[2], connect: layers[3], ...engines };
}

/** Growth per unit; a column not measured (NaN) is left out of the total. */
function growth(a: Record<Column, number>, b: Record<Column, number>, units: number): Costs {
  const out = { total: 0 } as Costs;
  for (const c of COLUMNS) {
    out[c] = (b[c] - a[c]) / units;
    if (Number.isFinite(out[c])) out.total += out[c];
  }
  return out;
}

/** A row with one column only. */
function only(column: Column, value: number): Costs {
  const out = Object.fromEntries(COLUMNS.map((c) => [c, NaN])) as Costs;
  out[column] = value;
  out.total = value;
  return out;
}

/** Bytes of the topic's log segments on the single Kafka broker. */
async function topicBytes(topic: string): Promise<number> {
  let sum = 0;
  for await (const dir of Deno.readDir(`${INFRA_DIR}/kafka/data`)) {
    if (!dir.isDirectory || !dir.name.startsWith(`${topic}-`)) continue;
    for await (const file of Deno.readDir(`${INFRA_DIR}/kafka/data/${dir.name}`)) {
      if (file.name.endsWith(".log")) {
        sum += (await Deno.stat(`${INFRA_DIR}/kafka/data/${dir.name}/${file.name}`)).size;
      }
    }
  }
  return sum;
}

/** What the engines keep: the topic's bytes, Redis's used_memory, the database's size. */
async function stored(topic: string, database: string): Promise<Record<Column, number>> {
  const out = Object.fromEntries(COLUMNS.map((c) => [c, NaN])) as Record<Column, number>;
  out.kafka = await topicBytes(topic);
  out.redis = await redisUsedMemory();
  out.postgres = (await searchIndexBytes(database)).total;
  return out;
}

// --- The load process ------------------------------------------------------------------------

/** A running bench/cost_load.ts. */
interface Load {
  child: Deno.ChildProcess;
  ask<E extends CostLoadReport["event"]>(
    command: string,
    event: E,
  ): Promise<Extract<CostLoadReport, { event: E }>>;
  close(): Promise<void>;
}

async function startLoad(plan: CostLoadPlan): Promise<Load> {
  const path = await Deno.makeTempFile({ prefix: "im-cost-", suffix: ".json" });
  await Deno.writeTextFile(path, JSON.stringify(plan));
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}bench/cost_load.ts`, path],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const writer = child.stdin.getWriter();
  let buffer = "";
  const nextLine = async (): Promise<string> => {
    while (!buffer.includes("\n")) {
      const { value, done } = await lines.read();
      if (done) throw new Error("the cost load process exited");
      buffer += value;
    }
    const end = buffer.indexOf("\n");
    const line = buffer.slice(0, end);
    buffer = buffer.slice(end + 1);
    return line;
  };
  return {
    child,
    async ask(command, event) {
      await writer.write(new TextEncoder().encode(`${command}\n`));
      while (true) {
        const line = await nextLine();
        if (!line.startsWith("{")) continue;
        const report = JSON.parse(line) as CostLoadReport;
        if (report.event === "error") throw new Error(`cost load: ${report.message}`);
        if (report.event === event) return report as never;
      }
    },
    async close() {
      try {
        await writer.write(new TextEncoder().encode("quit\n"));
      } catch { /* gone */ }
      await Promise.race([child.status, sleep(5000)]);
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
      await Deno.remove(path).catch(() => {});
    },
  };
}

// --- Users, friends, a group -----------------------------------------------------------------

/** The user id behind each token, through the store's session lookup. */
async function userIds(url: string, tokens: string[]): Promise<string[]> {
  const store = await openPostgresStore({ url, poolSize: 8 });
  try {
    const now = Date.now();
    const ids: string[] = new Array(tokens.length);
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < tokens.length) {
        const i = next++;
        const session = await store.accounts.session(await hashToken(tokens[i]), now);
        if (!session) throw new Error(`no session for user ${i}`);
        ids[i] = session.user.id;
      }
    }));
    return ids;
  } finally {
    await store.close();
  }
}

/** Friendships (pairs of ids) and one group, straight into the store. */
async function relate(
  url: string,
  friendships: [string, string][],
  group: string[],
): Promise<string> {
  const store = await openPostgresStore({ url, poolSize: 8 });
  try {
    const now = Date.now();
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < friendships.length) {
        const [a, b] = friendships[next++];
        await store.friends.add(a, b, now);
      }
    }));
    const id = new Snowflake({ workerId: 1022 }).next();
    await store.groups.create(
      { id, name: "cost", avatarMediaId: null, ownerId: group[0], createdAt: now },
      group,
    );
    return id;
  } finally {
    await store.close();
  }
}

/** An SDK client that always connects to one connect server, whatever `/api/connect` says. */
class PinnedClient extends ImClient {
  readonly #ws: string;

  constructor(baseUrl: string, ws: string, token: string, Socket: SocketConstructor) {
    super({ baseUrl, token, WebSocket: Socket });
    this.#ws = ws;
  }

  override connectUrl(): Promise<string> {
    return Promise.resolve(this.#ws);
  }
}

/** SDK clients signed in with the tokens on connect server `ws`, connected 20 at a time. */
async function connectClients(
  url: string,
  ws: string,
  tokens: string[],
  Socket: SocketConstructor,
): Promise<ImClient[]> {
  const out: ImClient[] = [];
  for (let i = 0; i < tokens.length; i += 20) {
    out.push(
      ...await Promise.all(
        tokens.slice(i, i + 20).map(async (token) => {
          const client = new PinnedClient(url, ws, token, Socket);
          await client.connect();
          return client;
        }),
      ),
    );
  }
  return out;
}

// --- The scenario ----------------------------------------------------------------------------

const fmt = (n: number) =>
  !Number.isFinite(n)
    ? "–"
    : Math.abs(n) >= 100
    ? n.toFixed(0)
    : Math.abs(n) >= 10
    ? n.toFixed(1)
    : n.toFixed(2);

/** The Markdown table of the figures. */
export function costTable(figures: CostFigures): string {
  const p = figures.parameters;
  const line = (label: string, costs: Costs) =>
    `| ${label} | ${[...COLUMNS, "total" as const].map((c) => fmt(costs[c])).join(" | ")} |`;
  const g = figures.group;
  const online = (w: RateWindow) => (w.deliveries / w.sent + 1).toFixed(0);
  const rows = [
    ...figures.pairs.map((w) =>
      line(`CPU µs per message in pairs, at ${w.perSecond.toFixed(0)} msg/s`, w.costs)
    ),
    ...g.map((w) =>
      line(
        `CPU µs per message to a group of ${p.groupSize}, ${online(w)} online, at ${
          w.perSecond.toFixed(0)
        } msg/s (${(w.deliveries / p.seconds).toFixed(0)} deliveries/s)`,
        w.costs,
      )
    ),
    ...figures.presence.map((x) => line(`CPU µs per presence change, at ${x.asked}/s`, x.costs)),
    line(
      `**${ROWS.pairMessage}** (${figures.pairs.at(-1)!.perSecond.toFixed(0)} msg/s)`,
      figures.costs.pairMessage,
    ),
    line(
      `**${ROWS.groupDelivery}** (${online(g[0])} against ${online(g[1])} online)`,
      figures.costs.groupDelivery,
    ),
    ...g.map((w) =>
      line(
        `CPU µs per group message at a connect server with no member, at ${
          w.perSecond.toFixed(0)
        } msg/s`,
        only("connect", w.spare),
      )
    ),
    line(
      `**${ROWS.spareGroupMessage}** (${g.at(-1)!.perSecond.toFixed(0)} msg/s)`,
      figures.costs.spareGroupMessage,
    ),
    line(`**${ROWS.idleConnection}**`, figures.costs.idleConnection),
    line(
      `**${ROWS.presenceChange}** (${figures.presence.at(-1)!.asked}/s)`,
      figures.costs.presenceChange,
    ),
    line(`**${ROWS.userMemory}**`, figures.costs.userMemory),
    line(`**${ROWS.connectionMemory}**`, figures.costs.connectionMemory),
    line(`**${ROWS.heldMemory}**`, figures.costs.heldMemory),
    line(`**${ROWS.storedPerMessage}**`, figures.costs.storedPerMessage),
  ];
  const sent = (w: RateWindow[]) =>
    w.map((x) => `${x.sent} at ${x.asked}/s asked (${x.deliveries} delivered)`).join(", ");
  const bench = [...figures.pairs, ...g].map((w) => fmt(w.benchCpuPercent)).join(", ");
  const changes = figures.presence.map((x) =>
    `${x.changes} at ${x.asked}/s (${x.failed} opens failed${failures(x.why)})`
  ).join(", ");
  return [
    `Cost per unit of work, ${figures.date}; ${figures.cores} cores; load average ${
      figures.loadAverage.start.map((n) => n.toFixed(2)).join(" ")
    } at the start, ${figures.loadAverage.end.map((n) => n.toFixed(2)).join(" ")} at the end. ` +
    `One api, logic and task process, two connect (every client on the first), on the ` +
    `single-node engines; each window ${p.seconds} s (messages: and ${DRAIN_MS / 1000} s to ` +
    `drain; presence: and the grace) against a baseline of ${p.seconds} s at rest just before ` +
    `it. The rows in bold are what docs/SCALING.md uses.`,
    "",
    `| cost | ${COLUMNS.join(" | ")} | total |`,
    `| --- | ${COLUMNS.map(() => "---:").join(" | ")} | ---: |`,
    ...rows,
    "",
    `Load: ${p.pairs} pairs, messages sent ${sent(figures.pairs)}; a group of ${p.groupSize}, ` +
    `${sent(g)}; ${figures.idleConnections} idle connections of ${p.idleUsers} users pinging ` +
    `every 25 s; presence changes ${changes} among ${p.churnUsers} users with ${p.churnFriends} ` +
    `online friends each. Memory: resident growth after ${p.memoryIdleSeconds} s idle (medians of 13 ` +
    `samples over 6 s), Redis as ` +
    `its used_memory (its RSS grew ${fmt(figures.redisRssKb.perUser)} KB per user, ${
      fmt(figures.redisRssKb.perConnection)
    } KB per further connection); PostgreSQL's is the sum over its processes. Stored: the ` +
    `topic's log segments, Redis's used_memory (mostly the dedupe keys, kept an hour) and the ` +
    `database's size (indexes and search index included), over the pairs windows. Not counted: ` +
    `the bench process (${bench} % of a core in the message windows) and the load process (${
      fmt(figures.loadCpuPercent.idle)
    } % idle, ${fmt(figures.loadCpuPercent.churn)} % churning).`,
  ].join("\n");
}

/** Runs the scenario on a cluster of its own; `say` gets milestones, `progress` transient lines. */
export async function costScenario(
  {
    seconds = 10,
    progress,
    say,
    WebSocket = globalThis.WebSocket as unknown as SocketConstructor,
    ...options
  }: Partial<CostParameters> & {
    progress: (line: string) => void;
    say: (line: string) => void;
    /** The SDK clients' WebSocket class: npm:ws from bench/main.ts; run alone, Deno's own. */
    WebSocket?: SocketConstructor;
  },
): Promise<{ table: string; figures: CostFigures }> {
  const p: CostParameters = { ...DEFAULTS, ...options, seconds };
  const start = Deno.loadavg();
  const database = await freshDatabase();
  say("cost: a cluster of one api, logic, task and connect");
  const cluster = await startIsolatedCluster({
    ...BENCH_ENV,
    IM_POSTGRES_URL: database,
    IM_MAX_UNAUTHENTICATED_PER_ADDRESS: "1000000",
    IM_MAX_HTTP_CONNECTIONS_PER_ADDRESS: "1000000",
    IM_LEASE_TTL_S: "5",
    IM_PRESENCE_GRACE_MS: String(PRESENCE_GRACE_MS),
  }, { instances: 1, layers: { logic: 1, connect: 2, task: 1 } });
  let load: Load | undefined;
  try {
    const run = await phases(cluster, database, p, WebSocket, progress, say, (l) => load = l);
    const figures: CostFigures = {
      date: new Date().toISOString(),
      cores: navigator.hardwareConcurrency,
      loadAverage: { start, end: Deno.loadavg() },
      parameters: p,
      ...run,
    };
    return { table: costTable(figures), figures };
  } finally {
    await load?.close();
    await cluster.stop();
  }
}

type PhaseResult = Omit<CostFigures, "date" | "cores" | "loadAverage" | "parameters">;

async function phases(
  cluster: Cluster,
  database: string,
  p: CostParameters,
  WebSocket: SocketConstructor,
  progress: (line: string) => void,
  say: (line: string) => void,
  started: (load: Load) => void,
): Promise<PhaseResult> {
  const [connect, spare] = cluster.processes.filter((x) => x.layer === "connect");
  const app = Object.fromEntries(
    LAYERS.map((l) => [l, cluster.processes.find((x) => x.layer === l)!.child.pid]),
  ) as Record<Process, number>;
  app.connect = connect.child.pid;
  app.spare = spare.child.pid;
  // Every client on connect-1; connect-2 has none.
  const ws = `ws://127.0.0.1:${connect.env.IM_HTTP_PORT}/ws`;

  // Users: pairs, then the group, then the idle users, then the churned ones.
  const total = 2 * p.pairs + p.groupSize + p.idleUsers + p.churnUsers;
  const tokens = await makeUsers(database, total, progress);
  const ids = await userIds(database, tokens);
  const at = { group: 2 * p.pairs, idle: 2 * p.pairs + p.groupSize };
  const idleAt = at.idle, churnAt = at.idle + p.idleUsers;
  const friendships: [string, string][] = [];
  for (let i = 0; i < 2 * p.pairs; i += 2) friendships.push([ids[i], ids[i + 1]]);
  for (let j = 0; j < p.churnUsers; j++) {
    for (let k = 0; k < p.churnFriends; k++) {
      friendships.push([ids[churnAt + j], ids[idleAt + ((j * p.churnFriends + k) % p.idleUsers)]]);
    }
  }
  const groupId = await relate(database, friendships, ids.slice(at.group, at.idle));
  say(`cost: ${total} users, ${friendships.length} friendships and a group stored`);

  // Idle connections first, on a cluster that has done nothing yet (the message windows leave
  // garbage that the connect process's heap gives back later, which would blur its growth).
  // Slots [0, U) are the idle users' first connections, [U, 2U) their second, then the churned.
  const u = p.idleUsers;
  const churnFrom = 2 * u, churnTo = 2 * u + p.churnUsers;
  const warm = Math.min(100, Math.floor(p.churnUsers / 2));
  const load = await startLoad({
    server: ws,
    tokens: [
      ...tokens.slice(idleAt, churnAt),
      ...tokens.slice(idleAt, churnAt),
      ...tokens.slice(churnAt),
    ],
    concurrency: 50,
    pingMs: 25_000,
  });
  started(load);
  const loadCpu = () => processStats(load.child.pid).then((s) => s.cpuSeconds);
  await settle(app, PRESENCE_GRACE_MS + 1000);
  progress("cost: idle, baseline without connections");
  const idleBase = await baseline(app, p.seconds);
  // A few connections (churned users') first, so that what the first ones cost once is not counted.
  await load.ask(`open ${churnFrom} ${churnFrom + warm}`, "opened");
  const calm = { cores: quiet(idleBase, 0.03) };
  // Each memory sample after the same idleness, so that the openings' garbage is collected.
  const idleMemory = async () => {
    await settle(app, PRESENCE_GRACE_MS + 2000, calm);
    progress(`cost: idle ${p.memoryIdleSeconds} s before sampling memory`);
    await sleep(p.memoryIdleSeconds * 1000);
    return await sampleMemory(app);
  };
  const memory0 = await idleMemory();
  const first = await load.ask(`open 0 ${u}`, "opened");
  const memory1 = await idleMemory();
  const second = await load.ask(`open ${u} ${2 * u}`, "opened");
  const memory2 = await idleMemory();
  const held = first.ready + second.ready;
  say(
    `cost: ${held} idle connections (${first.failed + second.failed} failed${
      failures(first.why, second.why)
    }) in ${((first.ms + second.ms) / 1000).toFixed(1)} s`,
  );
  progress(`cost: ${held} idle connections held`);
  const loadIdleBefore = await loadCpu();
  const idleRun = await measured(app, () => sleep(p.seconds * 1000));
  const loadIdle = (await loadCpu()) - loadIdleBefore;

  // Presence: half the churned users online, then a close and an open in turn.
  await load.ask(`open ${churnFrom + warm} ${churnFrom + Math.floor(p.churnUsers / 2)}`, "opened");
  await settle(app, PRESENCE_GRACE_MS + 1000, { cores: quiet(idleRun.span, 0.03) });
  progress("cost: presence, baseline");
  const churnBase = await baseline(app, p.seconds);
  const loadChurnBefore = await loadCpu();
  const churnRuns: {
    asked: number;
    changes: number;
    failed: number;
    why: Failures;
    span: Span;
  }[] = [];
  for (const rate of p.churnRates) {
    await settle(app, 1000, { cores: quiet(churnBase, 0.03) });
    progress(`cost: presence, ${rate} changes a second`);
    const run = await measured(app, async () => {
      const report = await load.ask(
        `churn ${churnFrom} ${churnTo} ${rate} ${p.seconds}`,
        "churned",
      );
      // The last offlines are told after the grace.
      await sleep(PRESENCE_GRACE_MS + 1000);
      return report;
    });
    churnRuns.push({
      asked: rate,
      changes: run.value.closed + run.value.opened,
      failed: run.value.failed,
      why: run.value.why,
      span: run.span,
    });
  }
  const churnSeconds = churnRuns.reduce((a, r) => a + r.span.seconds, 0);
  const loadChurn = (await loadCpu()) - loadChurnBefore;
  say(
    `cost: presence changes ${
      churnRuns.map((r) => `${r.changes} (${r.failed} failed${failures(r.why)})`).join(", ")
    }`,
  );

  // Pairs, with the idle connections still held (they cost the same in baseline and window).
  const pairClients = await connectClients(
    cluster.url,
    ws,
    tokens.slice(0, 2 * p.pairs),
    WebSocket,
  );
  const pairSenders = pairClients.map((client, i) => ({
    client,
    to: { type: "user" as const, id: ids[i ^ 1] },
  }));
  await drive(pairSenders, 2, { rate: p.pairRates[0] }, () => {}); // warm-up
  await settle(app, PRESENCE_GRACE_MS + 1000);
  progress("cost: pairs, baseline");
  const pairBase = await baseline(app, p.seconds);
  const topic = connect.env.IM_KAFKA_TOPIC;
  const stored0 = await stored(topic, database);
  const pairRuns = await rateRuns(app, pairClients, pairSenders, p.pairRates, p.seconds, {
    label: "pairs",
    progress,
  });
  const stored1 = await stored(topic, database);
  await Promise.all(pairClients.map((c) => c.close()));
  say(
    `cost: pairs: ${pairRuns.map((r) => `${r.sent} sent, ${r.deliveries} delivered`).join("; ")}`,
  );

  // A group, every member online.
  const members = await connectClients(
    cluster.url,
    ws,
    tokens.slice(at.group, at.idle),
    WebSocket,
  );
  const groupSenders = members.slice(0, 8).map((client) => ({
    client,
    to: { type: "group" as const, id: groupId },
  }));
  await drive(groupSenders, 2, { rate: p.groupRate }, () => {}); // warm-up
  await settle(app, PRESENCE_GRACE_MS + 1000);
  progress("cost: group, baseline");
  const groupBase = await baseline(app, p.seconds);
  const groupAll = await rateRuns(app, members, groupSenders, [p.groupRate], p.seconds, {
    label: "group, all online",
    progress,
  });
  // The same group and senders with only `groupOnline` members online: fewer deliveries.
  const staying = Math.max(groupSenders.length, p.groupOnline);
  await Promise.all(members.slice(staying).map((c) => c.close()));
  await settle(app, PRESENCE_GRACE_MS + 1000);
  const groupFew = await rateRuns(
    app,
    members.slice(0, staying),
    groupSenders,
    [p.groupRate, p.groupHighRate],
    p.seconds,
    { label: `group, ${staying} online`, progress },
  );
  await Promise.all(members.slice(0, staying).map((c) => c.close()));
  const groupRuns = [...groupAll, ...groupFew];
  say(
    `cost: group: ${groupRuns.map((r) => `${r.sent} sent, ${r.deliveries} delivered`).join("; ")}`,
  );

  const window = (r: RateRun, base: Span): RateWindow => ({
    asked: r.asked,
    sent: r.sent,
    perSecond: r.sent / p.seconds,
    deliveries: r.deliveries,
    costs: perUnit(r.span, base, r.sent),
    spare: cpuPerUnit(r.span, base, r.sent, "spare"),
    benchCpuPercent: (r.benchCpu / r.span.seconds) * 100,
  });
  const pairs = pairRuns.map((r) => window(r, pairBase));
  const group = groupRuns.map((r) => window(r, groupBase));
  // A message to the group with all online less one with few online, per further delivery.
  const [all, few] = group;
  const further = all.deliveries / all.sent - few.deliveries / few.sent;
  const groupDelivery = { total: 0 } as Costs;
  for (const c of COLUMNS) {
    groupDelivery[c] = (all.costs[c] - few.costs[c]) / further;
    groupDelivery.total += groupDelivery[c];
  }
  const presence = churnRuns.map((r) => ({
    asked: r.asked,
    changes: r.changes,
    failed: r.failed,
    why: r.why,
    costs: perUnit(r.span, churnBase, r.changes),
  }));
  return {
    costs: {
      pairMessage: pairs.at(-1)!.costs,
      groupDelivery,
      spareGroupMessage: only("connect", group.at(-1)!.spare),
      idleConnection: perUnit(idleRun.span, idleBase, held * idleRun.span.seconds),
      presenceChange: presence.at(-1)!.costs,
      userMemory: growth(memory0, memory1, first.ready),
      connectionMemory: growth(memory1, memory2, second.ready),
      heldMemory: growth(memory0, memory2, held),
      storedPerMessage: growth(stored0, stored1, pairRuns.reduce((a, r) => a + r.sent, 0)),
    },
    pairs,
    group,
    presence,
    idleConnections: held,
    restingMb: Object.fromEntries(COLUMNS.map((c) => [c, memory0[c] / 1024])) as Record<
      Column,
      number
    >,
    redisRssKb: {
      perUser: (memory1.redisRss - memory0.redisRss) / first.ready,
      perConnection: (memory2.redisRss - memory1.redisRss) / second.ready,
    },
    loadCpuPercent: {
      idle: (loadIdle / idleRun.span.seconds) * 100,
      churn: (loadChurn / churnSeconds) * 100,
    },
  };
}

/** Messages at one rate, sent and measured. */
interface RateRun {
  asked: number;
  sent: number;
  deliveries: number;
  span: Span;
  /** CPU seconds of this process over the window. */
  benchCpu: number;
}

/** One window per rate: the senders send at it for `seconds`, then the system drains. */
async function rateRuns(
  app: Record<Process, number>,
  clients: ImClient[],
  senders: Parameters<typeof drive>[0],
  rates: number[],
  seconds: number,
  { label, progress }: { label: string; progress: (line: string) => void },
): Promise<RateRun[]> {
  const benchCpu = () => processStats(Deno.pid).then((s) => s.cpuSeconds);
  const runs: RateRun[] = [];
  for (const rate of rates) {
    await settle(app, 1000);
    const counted = recorder(clients);
    counted.start();
    const before = await benchCpu();
    const run = await measured(app, async () => {
      const sent = await drive(
        senders,
        seconds,
        { rate },
        (n) => progress(`cost: ${label} at ${rate}/s, ${n} sent`),
      );
      // What is still in flight, and the search indexer's share of it.
      await sleep(DRAIN_MS);
      return sent;
    });
    runs.push({
      asked: rate,
      sent: run.value,
      deliveries: counted.stop().deliveries,
      span: run.span,
      benchCpu: (await benchCpu()) - before,
    });
  }
  return runs;
}

/** The scenario's parameters given on the command line (`--seconds 10 --churn-rates 50,500` …). */
export function costOptions(args: string[]): Partial<CostParameters> {
  const number = (flag: string, text: string) => {
    const n = Number(text);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${flag} takes a number, not "${text}"`);
    return n;
  };
  const option = (name: string) => {
    const i = args.indexOf(`--${name}`);
    if (i < 0) return undefined;
    if (args[i + 1] === undefined) throw new Error(`--${name} takes a value`);
    return args[i + 1];
  };
  const given: Partial<CostParameters> = {};
  for (
    const [flag, key] of [
      ["seconds", "seconds"],
      ["pairs", "pairs"],
      ["group-size", "groupSize"],
      ["idle-users", "idleUsers"],
      ["churn-users", "churnUsers"],
      ["group-rate", "groupRate"],
      ["group-online", "groupOnline"],
      ["group-high-rate", "groupHighRate"],
      ["churn-friends", "churnFriends"],
      ["memory-idle-seconds", "memoryIdleSeconds"],
    ] as const
  ) {
    const value = option(flag);
    if (value !== undefined) given[key] = number(flag, value);
  }
  for (const [flag, key] of [["pair-rates", "pairRates"], ["churn-rates", "churnRates"]] as const) {
    const value = option(flag);
    if (value !== undefined) given[key] = value.split(",").map((v) => number(flag, v));
  }
  return given;
}

if (import.meta.main) {
  const progress = (line: string) =>
    Deno.stderr.writeSync(new TextEncoder().encode(`\r\x1b[K  ${line}`));
  const say = (line: string) => console.error(`\r\x1b[K${line}`);
  const { table, figures } = await costScenario({ ...costOptions(Deno.args), progress, say });
  say("");
  console.log(table);
  await Deno.mkdir("results", { recursive: true });
  const stamp = figures.date.replace(/[:.]/g, "-");
  await Deno.writeTextFile(`results/cost-${stamp}.json`, JSON.stringify(figures, null, 2));
  await Deno.writeTextFile(`results/cost-${stamp}.md`, `# Cost ${figures.date}\n\n${table}\n`);
  say(`\nwrote results/cost-${stamp}.md and .json`);
  Deno.exit(0);
}
