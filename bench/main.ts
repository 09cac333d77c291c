/**
 * `deno task bench`: the load generator. Runs each scenario against the
 * embedded mode (and, with --cluster, a cluster on `deno task infra:up`) and,
 * in the same run, against the bare relay baseline; prints every figure beside
 * the relay's with the ratio, and writes a Markdown table and a latency plot
 * (SVG) to results/.
 *   deno task bench [--pairs 50] [--group 200] [--connections 10000] [--seconds 8]
 *                   [--typing 10000] [--prefill N] [--data-dir DIR] [--cluster [--instances 1]]
 *                   [--search 1000000] [--search-dir DIR] [--index-rounds 2] [--only search]
 *   deno task bench --soak MINUTES [--rate MSG_PER_S] [--pairs 50] [--data-dir DIR] [--cluster]
 *   deno task bench --connections-cluster 100000 [--connect-instances 7] [--idle-seconds 10]
 *   deno task bench --large-group [--members 10000] [--online 2000] [--seconds 10] [--churn 1000]
 *                   [--rate 10]
 *   deno task bench --cluster --cost [--seconds 10] [--pair-rates 100,500,2000] [--churn-rates 50,200,500]
 *                   [--memory-idle-seconds 60] … (every option of bench/cost.ts)
 * --cost: only what each layer process and engine spends per message, delivery, idle connection
 * and presence change, and memory per connection (bench/cost.ts; docs/SCALING.md builds on it).
 * --large-group: only a group of --members over a cluster, --online of them connected: messages
 * at --rate a second and as fast as taken, then --churn members on and offline a second
 * (bench/large_group.ts).
 * --connections-cluster N: only N idle connections over a cluster's connect processes and a
 * reconnect storm after one is killed (bench/connections_cluster.ts).
 * --prefill N stores N 64-byte texts first (default 20,000 in a fresh folder; 0 with --data-dir);
 * --data-dir DIR fills or reuses that folder, so a folder of millions is made once.
 * --typing N: the embedded pairs flow at half of max, without and then with N typing frames
 * per second from other clients (bench/typing.ts); 0 leaves the typing scenario out.
 * --index-rounds R: the pairs flow at max R times without and R times with the search index,
 * alternated (bench/index_cost.ts); 0 leaves it out.
 * --search N: a store of N messages in 10,000 conversations (bench/search_fill.ts, kept in a folder
 * or database named by N, or --search-dir DIR) indexed from nothing, then searched over HTTP
 * (bench/search.ts); 0 leaves it out. --only search runs only these two and the relay's pairs.
 */
import { type FlowResult, group, pairs, percentile } from "./scenarios.ts";
import { typing, TYPING_PERIOD_MS } from "./typing.ts";
import { connections } from "./connections.ts";
import { connectInstancesFor, connectionsCluster } from "./connections_cluster.ts";
import { largeGroup } from "./large_group.ts";
import { costOptions, costScenario } from "./cost.ts";
import { sampleResident } from "./resident.ts";
import { clusterTarget, embeddedTarget, relayTarget, type Target } from "./targets.ts";
import type { SocketConstructor } from "../client/mod.ts";
import { WebSocket as NodeWebSocket } from "ws";
import { latencySvg, type Panel } from "./plot.ts";
import { flowRows, formatNumber, type Row, table } from "./report.ts";
import { soakOnly } from "./soak.ts";
import { fillFolder, recordStored } from "./prefill.ts";
import { coldStartRows, idleResidentBytes } from "./startup.ts";
import { indexCost, indexCostRows } from "./index_cost.ts";
import { searchSection } from "./search_section.ts";

function option(name: string, fallback: number): number {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}
function textOption(name: string): string | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

const PAIRS = option("pairs", 50);
const GROUP = option("group", 200);
// Each connection is a file descriptor in this process and in the server's, whose default
// IM_MAX_CONNECTIONS is the open-file limit less a tenth (`deno task bench` raises the limit to
// the hard limit first): stay under both.
const FILE_LIMIT = Number(
  new TextDecoder().decode(
    (await new Deno.Command("sh", { args: ["-c", "ulimit -n"] }).output()).stdout,
  ).trim(),
) || 1024;
const ASKED_CONNECTIONS = option("connections", 10_000);
const CONNECTIONS = Math.min(ASKED_CONNECTIONS, Math.floor(FILE_LIMIT * 0.9) - 500);
if (CONNECTIONS < ASKED_CONNECTIONS) {
  console.error(
    `note: ${ASKED_CONNECTIONS} connections do not fit the open-file limit of ${FILE_LIMIT}; opening ${CONNECTIONS}`,
  );
}
const SECONDS = option("seconds", 8);
const WITH_CLUSTER = Deno.args.includes("--cluster");
const INSTANCES = option("instances", 1);
const DATA_DIR = textOption("data-dir");
const TYPING = option("typing", 10_000);
const PREFILL = option("prefill", DATA_DIR ? 0 : 20_000);
const INDEX_ROUNDS = option("index-rounds", 2);
const SEARCH = option("search", 1_000_000);
const SEARCH_DIR = textOption("search-dir");
const SEARCH_ONLY = textOption("only") === "search";

const progress = (line: string) =>
  Deno.stderr.writeSync(new TextEncoder().encode(`\r\x1b[K  ${line}`));
const say = (line: string) => console.error(`\r\x1b[K${line}`);
const stamp = new Date().toISOString().replace(/[:.]/g, "-");

async function withTarget<T>(
  make: () => Promise<Target>,
  fn: (t: Target) => Promise<T>,
): Promise<T> {
  const target = await make();
  try {
    return await fn(target);
  } finally {
    await target.stop();
  }
}

// The clients use npm:ws, which sets TCP_NODELAY as browsers do. Deno's WebSocket leaves Nagle's
// algorithm on: a send written right after an ack (which gets no answer) waited for the server's
// delayed ACK, adding about 40 ms to some messages, the relay's too.
const clients = { WebSocket: NodeWebSocket as unknown as SocketConstructor };
const relay = () => relayTarget(clients);
const embedded = (dataDir?: string, env?: Record<string, string>) =>
  embeddedTarget({ ...clients, dataDir, env });
const cluster = (env?: Record<string, string>) =>
  clusterTarget({ ...clients, instances: INSTANCES, env });

if (Deno.args.includes("--soak")) {
  await soakOnly({
    minutes: option("soak", 20),
    rate: option("rate", 0) || undefined,
    pairs: PAIRS,
    make: WITH_CLUSTER ? () => cluster() : () => embedded(DATA_DIR),
    cluster: WITH_CLUSTER,
    stamp,
    progress,
  });
  Deno.exit(0);
}

/** Prints a scenario's table, writes it to results/<name>-<stamp>.md under `title`, and exits. */
async function finish(name: string, title: string, table: string, json?: unknown): Promise<never> {
  say("");
  console.log(table);
  await Deno.mkdir("results", { recursive: true });
  await Deno.writeTextFile(`results/${name}-${stamp}.md`, `# ${title}\n\n${table}\n`);
  if (json !== undefined) {
    await Deno.writeTextFile(`results/${name}-${stamp}.json`, JSON.stringify(json, null, 2));
  }
  say(`\nwrote results/${name}-${stamp}.md`);
  Deno.exit(0);
}

if (WITH_CLUSTER && Deno.args.includes("--cost")) {
  // Issue 19: the per-layer costs the capacity model (docs/SCALING.md) is built from.
  const { table, figures } = await costScenario({
    ...costOptions(Deno.args),
    progress,
    say,
    WebSocket: clients.WebSocket,
  });
  await finish("cost", `Cost ${figures.date}`, table, figures);
}

if (Deno.args.includes("--large-group")) {
  // Issue 19: a group of 10,000 with 2,000 online; members churning on and offline.
  const { table } = await largeGroup({
    members: option("members", 10_000),
    online: option("online", 2_000),
    seconds: option("seconds", 10),
    churn: option("churn", 1_000),
    rate: option("rate", 10),
    progress,
    say,
    WebSocket: clients.WebSocket,
  });
  await finish("large-group", `Large group ${new Date().toISOString()}`, table);
}

if (Deno.args.includes("--connections-cluster")) {
  // Issue 19: idle connections over a cluster's connect processes, then a reconnect storm.
  const count = option("connections-cluster", 100_000);
  const { table } = await connectionsCluster({
    count,
    connectInstances: option("connect-instances", connectInstancesFor(count)),
    idleSeconds: option("idle-seconds", 10),
    progress,
    say,
  });
  await finish("connections", `Connections ${new Date().toISOString()}`, table);
}

say(
  `im benchmark: ${PAIRS} pairs, a group of ${GROUP}, ${CONNECTIONS} idle connections, ${SECONDS} s per flow` +
    (TYPING > 0 ? `, ${TYPING} typing/s` : ""),
);
const rows: Row[] = [];
const panels: Panel[] = [];
/** What went wrong in the run, printed under the table. */
const notes: string[] = [];
const mb = (bytes: number) => bytes / 1024 / 1024;
/** The figures of a flow the relay cannot run (it knows no typing). */
const NO_RELAY: FlowResult = {
  deliveriesPerSec: NaN,
  messagesPerSec: NaN,
  stored: 0,
  latencies: [],
};

const relayPairs = await withTarget(
  relay,
  (t) => pairs(t, { pairs: PAIRS, seconds: SECONDS, progress }),
);
say(`relay: pairs ${relayPairs.deliveriesPerSec.toFixed(0)}/s`);
/** Tables printed under the main one (the search scenario's by query kind). */
const tables: string[] = [];
let stored = "";

// Issue 17: what the search index costs the send path, and searching a big store.
for (const name of WITH_CLUSTER ? ["embedded", "cluster"] as const : ["embedded"] as const) {
  const make = name === "embedded"
    ? (env: Record<string, string>) => embedded(undefined, env)
    : cluster;
  if (INDEX_ROUNDS > 0) {
    const cost = await indexCost(make, {
      pairs: PAIRS,
      seconds: SECONDS,
      rounds: INDEX_ROUNDS,
      progress,
    });
    const costRows = indexCostRows(name, cost, relayPairs, percentile(relayPairs.latencies, 0.99));
    rows.push(...costRows);
    panels.push({
      title: `pairs, durable, max, without and with the search index (${name}, first round)`,
      series: [
        { name: `${name}, index off`, latencies: cost.off[0].latencies },
        { name: `${name}, index on`, latencies: cost.on[0].latencies },
      ],
    });
    say(
      costRows.filter((r) => r.unit === "%").map((r) =>
        `${name}: ${r.metric}: ${r.value.toFixed(1)} %`
      ).join("\n"),
    );
  }
  if (SEARCH > 0) {
    const section = await searchSection(name, {
      messages: SEARCH,
      dataDir: SEARCH_DIR,
      start: (where) => name === "embedded" ? embedded(where) : cluster({ IM_POSTGRES_URL: where }),
      progress,
      say,
    });
    rows.push(...section.rows);
    tables.push(section.table);
    notes.push(...section.notes);
  }
}

if (!SEARCH_ONLY) {
  const relayGroup = await withTarget(
    relay,
    (t) => group(t, { size: GROUP, seconds: SECONDS, progress }),
  );
  const relayConnections = await withTarget(
    relay,
    (t) => connections(t, { count: CONNECTIONS, progress }),
  );
  const relayIdle = await withTarget(relay, async (t) => {
    await new Promise((resolve) => setTimeout(resolve, 3000));
    return (await sampleResident(t.connectPid(t.url))).median;
  });
  say(`relay: group ${relayGroup.deliveriesPerSec.toFixed(0)}/s`);

  progress("embedded: memory right after start");
  rows.push({
    target: "embedded",
    scenario: "just started, fresh data dir",
    metric: "RSS 3 s after /healthz",
    value: mb(await idleResidentBytes()),
    relay: mb(relayIdle),
    unit: "MB",
  });
  const filled = await fillFolder({
    dataDir: DATA_DIR,
    messages: PREFILL,
    open: embedded,
    progress,
  });
  // A folder the bench did not fill has no count: name it by its size.
  stored = DATA_DIR && filled.messages === 0
    ? `a data folder of ${formatNumber(mb(filled.bytes))} MB`
    : `${filled.messages.toLocaleString("en")} stored messages`;
  if (filled.bytesPerMessage !== undefined) {
    rows.push({
      target: "embedded",
      scenario: `${PREFILL.toLocaleString("en")} 64-byte texts stored`,
      metric: "data folder per message",
      value: filled.bytesPerMessage,
      relay: NaN,
      unit: "bytes",
    });
  }
  say(`data folder ${filled.dataDir}: ${stored}, ${formatNumber(mb(filled.bytes))} MB`);

  const targets: [string, () => Promise<Target>][] = [["embedded", () => embedded()]];
  if (WITH_CLUSTER) targets.push(["cluster", () => cluster()]);

  for (const [name, make] of targets) {
    const max = await withTarget(
      make,
      (t) => pairs(t, { pairs: PAIRS, seconds: SECONDS, progress }),
    );
    rows.push(...flowRows(name, "pairs, durable, max", max, relayPairs));
    say(`${name}: pairs ${max.deliveriesPerSec.toFixed(0)}/s`);

    const half = Math.max(1, Math.round(max.messagesPerSec / 2));
    const [atHalf, relayAtHalf] = [
      await withTarget(
        make,
        (t) => pairs(t, { pairs: PAIRS, seconds: SECONDS, rate: half, progress }),
      ),
      await withTarget(
        relay,
        (t) => pairs(t, { pairs: PAIRS, seconds: SECONDS, rate: half, progress }),
      ),
    ];
    rows.push(...flowRows(name, `pairs at ${half} msg/s (half of max)`, atHalf, relayAtHalf));

    // The relay knows no typing: the flow under the typing load has no relay figure beside it.
    if (name === "embedded" && TYPING > 0) {
      const typed = await withTarget(
        make,
        (t) =>
          typing(t, { pairs: PAIRS, rate: half, typingRate: TYPING, seconds: SECONDS, progress }),
      );
      const flow = `pairs at ${half} msg/s`;
      const load = `${TYPING.toLocaleString("en")} typing/s`;
      rows.push(
        ...flowRows(name, `${flow}, no typing (same run as below)`, typed.quiet, relayAtHalf),
      );
      rows.push(...flowRows(name, `${flow} + ${load}`, typed.loaded, NO_RELAY));
      // Both, since a busy machine may leave either one short of CPU.
      const cpu = [
        ["no typing", "server", typed.quietCpuPercent],
        ["no typing", "bench process", typed.quietBenchCpuPercent],
        [load, "server", typed.loadedCpuPercent],
        [load, "bench process", typed.loadedBenchCpuPercent],
      ] as const;
      for (const [label, process, value] of cpu) {
        rows.push({
          target: name,
          scenario: `${flow}, ${label}`,
          metric: `${process} CPU (of one core)`,
          value,
          relay: NaN,
          unit: "%",
        });
      }
      const scenario = `${load}: ${typed.keys.toLocaleString("en")} (user, conversation) pairs, ` +
        `${typed.typists} typists, each pair every ${TYPING_PERIOD_MS / 1000} s`;
      rows.push({
        target: name,
        scenario,
        metric: "typing frames sent/s",
        value: typed.typingSentPerSec,
        relay: NaN,
        unit: "",
      });
      rows.push({
        target: name,
        scenario,
        metric: "typing relayed/s (received by a peer)",
        value: typed.typingRelayedPerSec,
        relay: NaN,
        unit: "",
      });
      if (typed.typingErrors > 0) {
        notes.push(`The typists received ${typed.typingErrors} error frames while typing.`);
        say(notes.at(-1)!);
      }
      panels.push({
        title: `${flow}, without and with ${load}`,
        series: [
          { name: "embedded", latencies: typed.quiet.latencies },
          { name: `embedded + ${load}`, latencies: typed.loaded.latencies },
        ],
      });
      say(
        `${name}: pairs at ${half} msg/s, p99 ${
          formatNumber(percentile(typed.quiet.latencies, 0.99))
        } ms without typing, ${
          formatNumber(percentile(typed.loaded.latencies, 0.99))
        } ms with ${load} (${typed.typingRelayedPerSec.toFixed(0)} of ${
          typed.typingSentPerSec.toFixed(0)
        } typing/s relayed)`,
      );
    }

    const fanout = await withTarget(
      make,
      (t) => group(t, { size: GROUP, seconds: SECONDS, progress }),
    );
    rows.push(...flowRows(name, `group of ${GROUP}`, fanout, relayGroup));
    say(`${name}: group ${fanout.deliveriesPerSec.toFixed(0)}/s`);

    const panelOf = (title: string, result: typeof max, relay: typeof max) =>
      panels.push({
        title: `${title}${WITH_CLUSTER ? ` (${name})` : ""}`,
        series: [{ name, latencies: result.latencies }, {
          name: "relay",
          latencies: relay.latencies,
        }],
      });
    panelOf("pairs, durable, max", max, relayPairs);
    panelOf(`pairs at ${half} msg/s (half of max)`, atHalf, relayAtHalf);
    panelOf(`group of ${GROUP}`, fanout, relayGroup);

    // The embedded server's idle connections are opened on the filled folder (target P7).
    const onFilled = name === "embedded";
    const conns = await withTarget(
      onFilled ? () => embedded(filled.dataDir) : make,
      (t) => connections(t, { count: CONNECTIONS, progress }),
    );
    const scenario = `${conns.opened} idle connections${onFilled ? `, ${stored}` : ""}`;
    if (conns.closed.size > 0) {
      notes.push(
        `The server closed ${name}'s connections as they opened: ${
          [...conns.closed].map(([code, n]) => `${n} with ${code}`).join(", ")
        }.`,
      );
      say(notes.at(-1)!);
    }
    rows.push({
      target: name,
      scenario,
      metric: "RSS per connection",
      value: conns.rssPerConnectionKb,
      relay: relayConnections.rssPerConnectionKb,
      unit: "KB",
      note: Number.isNaN(conns.rssPerConnectionKb)
        ? `not measurable: growth within the noise (±${formatNumber(conns.noiseKb)} KB)`
        : undefined,
    });
    rows.push({
      target: name,
      scenario,
      metric: onFilled ? "RSS (P7: ≤ 250 MB)" : "RSS of the connect process",
      value: mb(conns.residentBytes),
      relay: mb(relayConnections.residentBytes),
      unit: "MB",
    });
    rows.push({
      target: name,
      scenario,
      metric: "idle CPU",
      value: conns.idleCpuPercent,
      relay: relayConnections.idleCpuPercent,
      unit: "%",
    });
  }

  // P9: the same pairs flow on the filled folder.
  const onStored = await withTarget(
    () => embedded(filled.dataDir),
    (t) => pairs(t, { pairs: PAIRS, seconds: SECONDS, progress }),
  );
  rows.push(
    ...flowRows("embedded", `pairs, durable, max, on ${stored}`, onStored, relayPairs)
      .filter((r) => r.metric === "deliveries/s" || r.metric === "latency p99"),
  );
  panels.push({
    title: `pairs, durable, max, on ${stored}`,
    series: [{ name: "embedded", latencies: onStored.latencies }, {
      name: "relay",
      latencies: relayPairs.latencies,
    }],
  });
  say(`embedded on ${stored}: pairs ${onStored.deliveriesPerSec.toFixed(0)}/s`);
  // The flow stored messages of its own in a folder that is kept: count them (if it has a count).
  if (DATA_DIR && filled.messages > 0) {
    await recordStored(DATA_DIR, filled.messages + onStored.stored);
  }

  progress("cold starts");
  rows.push(...await coldStartRows(filled.dataDir, stored));
  await filled.done();
}

const cpuInfo = await new Deno.Command("grep", { args: ["-m1", "model name", "/proc/cpuinfo"] })
  .output();
const cpu = new TextDecoder().decode(cpuInfo.stdout).split(":")[1]?.trim() ?? "unknown CPU";
const parameters = SEARCH_ONLY
  ? `${PAIRS} pairs, ${SECONDS} s per flow, search on ${SEARCH.toLocaleString("en")} messages`
  : `${PAIRS} pairs, group of ${GROUP}, ${CONNECTIONS} connections, ${SECONDS} s per flow, ${stored}` +
    (TYPING > 0 ? `, ${TYPING} typing/s` : "") +
    (SEARCH > 0 ? `, search on ${SEARCH.toLocaleString("en")} messages` : "");
const text = [
  `Machine: ${navigator.hardwareConcurrency} cores, ${cpu}; Deno ${Deno.version.deno}. ` +
  `Parameters: ${parameters}` +
  (WITH_CLUSTER ? `; cluster of ${INSTANCES} logic, connect and task each, one api.` : "."),
  "",
  table(rows),
  ...tables.flatMap((t) => ["", t]),
  ...(notes.length > 0 ? ["", ...notes] : []),
].join("\n");
say("");
console.log(text);
await Deno.mkdir("results", { recursive: true });
await Deno.writeTextFile(
  `results/bench-${stamp}.md`,
  `# Benchmark ${new Date().toISOString()}\n\n${text}\n\n![latency](bench-${stamp}.svg)\n`,
);
await Deno.writeTextFile(
  `results/bench-${stamp}.svg`,
  latencySvg("Send → receive latency by percentile", parameters, panels),
);
say(`\nwrote results/bench-${stamp}.md and .svg`);
Deno.exit(0);
