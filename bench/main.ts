/**
 * `deno task bench`: the load generator. Runs each scenario against the
 * embedded mode (and, with --cluster, a cluster on `deno task infra:up`) and,
 * in the same run, against the bare relay baseline; prints every figure beside
 * the relay's with the ratio, and writes a Markdown table and a latency plot
 * (SVG) to results/.
 *   deno task bench [--pairs 50] [--group 200] [--connections 2000] [--seconds 8] [--cluster [--instances 1]]
 *   deno task bench --soak MINUTES [--rate MSG_PER_S] [--pairs 50] [--cluster]: memory under steady traffic
 */
import { connections, type FlowResult, group, pairs, percentile } from "./scenarios.ts";
import { clusterTarget, embeddedTarget, relayTarget, type Target } from "./targets.ts";
import { latencySvg } from "./plot.ts";
import { startServer } from "../tests/harness.ts";
import { soak } from "./soak.ts";

function option(name: string, fallback: number): number {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}

const PAIRS = option("pairs", 50);
const GROUP = option("group", 200);
// Each connection is a file descriptor in this process and in the server's: stay under the limit
// (`deno task bench` raises it to the hard limit first).
const FILE_LIMIT = Number(
  new TextDecoder().decode(
    (await new Deno.Command("sh", { args: ["-c", "ulimit -n"] }).output()).stdout,
  ).trim(),
) || 1024;
const ASKED_CONNECTIONS = option("connections", 2000);
const CONNECTIONS = Math.min(ASKED_CONNECTIONS, FILE_LIMIT - 1000);
if (CONNECTIONS < ASKED_CONNECTIONS) {
  console.error(
    `note: ${ASKED_CONNECTIONS} connections do not fit the open-file limit of ${FILE_LIMIT}; opening ${CONNECTIONS}`,
  );
}
const SECONDS = option("seconds", 8);
const WITH_CLUSTER = Deno.args.includes("--cluster");
const INSTANCES = option("instances", 1);

const progress = (line: string) =>
  Deno.stderr.writeSync(new TextEncoder().encode(`\r\x1b[K  ${line}`));
const say = (line: string) => console.error(`\r\x1b[K${line}`);

interface Row {
  scenario: string;
  metric: string;
  value: number;
  relay: number;
  unit: string;
  target: string;
}

const rows: Row[] = [];
const curves: { name: string; latencies: number[] }[] = [];

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

function flowRows(scenario: string, target: string, result: FlowResult, relay: FlowResult): void {
  rows.push({
    scenario,
    metric: "deliveries/s",
    value: result.deliveriesPerSec,
    relay: relay.deliveriesPerSec,
    unit: "",
    target,
  });
  for (const [label, p] of [["p50", 0.5], ["p99", 0.99], ["p999", 0.999]] as const) {
    rows.push({
      scenario,
      metric: `latency ${label}`,
      value: percentile(result.latencies, p),
      relay: percentile(relay.latencies, p),
      unit: "ms",
      target,
    });
  }
}

async function coldStart(existing: boolean): Promise<number> {
  const dataDir = await Deno.makeTempDir({ prefix: "im-cold-" });
  if (existing) await (await startServer({ dataDir })).stop("SIGTERM");
  const started = performance.now();
  const server = await startServer({ dataDir });
  // startServer resolves when the process prints that it listens; /healthz answers from then on.
  await fetch(`${server.url}/healthz`).then((r) => r.body?.cancel());
  const ms = performance.now() - started;
  await server.stop("SIGKILL");
  return ms;
}

if (Deno.args.includes("--soak")) await soakOnly();

/** The soak alone: prints RSS samples and the end against the first minute, then exits. */
async function soakOnly(): Promise<never> {
  const minutes = option("soak", 20);
  const rate = option("rate", 0) || undefined;
  const make = WITH_CLUSTER ? () => clusterTarget({ instances: INSTANCES }) : embeddedTarget;
  const result = await withTarget(
    make,
    (t) => soak(t, { pairs: PAIRS, minutes, rate, progress }),
  );
  say("");
  const lines = [
    `Soak: ${PAIRS} pairs, ${rate ? `${rate} msg/s` : "4 in flight per sender"}, ${minutes} min, ${
      WITH_CLUSTER ? "cluster" : "embedded"
    }; ${result.messagesPerSec.toFixed(0)} messages/s on average.`,
    "",
    "| seconds | messages sent | RSS (MB) |",
    "| --- | --- | --- |",
    ...result.samples.map((s) => `| ${s.seconds} | ${s.sent} | ${(s.rssKb / 1024).toFixed(0)} |`),
    "",
    `RSS after the first minute (median of the second minute) ${
      (result.firstMinuteKb / 1024).toFixed(0)
    } MB, at the end (median of the last minute) ${(result.endKb / 1024).toFixed(0)} MB: ${
      ((result.endKb / result.firstMinuteKb - 1) * 100).toFixed(1)
    } %.`,
  ].join("\n");
  console.log(lines);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  await Deno.mkdir("results", { recursive: true });
  await Deno.writeTextFile(
    `results/soak-${stamp}.md`,
    `# Soak ${new Date().toISOString()}\n\n${lines}\n`,
  );
  Deno.exit(0);
}

say(
  `im benchmark: ${PAIRS} pairs, a group of ${GROUP}, ${CONNECTIONS} idle connections, ${SECONDS} s per flow`,
);

const relayPairs = await withTarget(
  relayTarget,
  (t) => pairs(t, { pairs: PAIRS, seconds: SECONDS, progress }),
);
const relayGroup = await withTarget(
  relayTarget,
  (t) => group(t, { size: GROUP, seconds: SECONDS, progress }),
);
const relayConnections = await withTarget(
  relayTarget,
  (t) => connections(t, { count: CONNECTIONS, progress }),
);
curves.push({ name: "relay pairs", latencies: relayPairs.latencies });
say(
  `relay: pairs ${relayPairs.deliveriesPerSec.toFixed(0)}/s, group ${
    relayGroup.deliveriesPerSec.toFixed(0)
  }/s`,
);

const targets: [string, () => Promise<Target>][] = [["embedded", embeddedTarget]];
if (WITH_CLUSTER) targets.push(["cluster", () => clusterTarget({ instances: INSTANCES })]);

for (const [name, make] of targets) {
  const max = await withTarget(make, (t) => pairs(t, { pairs: PAIRS, seconds: SECONDS, progress }));
  flowRows("pairs, durable, max", name, max, relayPairs);
  curves.push({ name: `${name} pairs`, latencies: max.latencies });
  say(`${name}: pairs ${max.deliveriesPerSec.toFixed(0)}/s`);

  const half = Math.max(1, Math.round(max.messagesPerSec / 2));
  const [atHalf, relayAtHalf] = [
    await withTarget(
      make,
      (t) => pairs(t, { pairs: PAIRS, seconds: SECONDS, rate: half, progress }),
    ),
    await withTarget(
      relayTarget,
      (t) => pairs(t, { pairs: PAIRS, seconds: SECONDS, rate: half, progress }),
    ),
  ];
  flowRows(`pairs at ${half} msg/s (half of max)`, name, atHalf, relayAtHalf);
  curves.push({ name: `${name} pairs at half`, latencies: atHalf.latencies });

  const fanout = await withTarget(
    make,
    (t) => group(t, { size: GROUP, seconds: SECONDS, progress }),
  );
  flowRows(`group of ${GROUP}`, name, fanout, relayGroup);
  say(`${name}: group ${fanout.deliveriesPerSec.toFixed(0)}/s`);

  const conns = await withTarget(make, (t) => connections(t, { count: CONNECTIONS, progress }));
  rows.push({
    scenario: `${conns.opened} idle connections`,
    metric: "RSS per connection",
    value: conns.rssPerConnectionKb,
    relay: relayConnections.rssPerConnectionKb,
    unit: "KB",
    target: name,
  });
  rows.push({
    scenario: `${conns.opened} idle connections`,
    metric: "idle CPU",
    value: conns.idleCpuPercent,
    relay: relayConnections.idleCpuPercent,
    unit: "%",
    target: name,
  });
}

const warm = await coldStart(true);
const empty = await coldStart(false);
rows.push({
  scenario: "cold start",
  metric: "to /healthz, existing data",
  value: warm,
  relay: NaN,
  unit: "ms",
  target: "embedded",
});
rows.push({
  scenario: "cold start",
  metric: "to /healthz, empty data dir",
  value: empty,
  relay: NaN,
  unit: "ms",
  target: "embedded",
});

const fmt = (n: number) => (Number.isNaN(n) ? "–" : n >= 100 ? n.toFixed(0) : n.toFixed(1));
const cpuInfo = await new Deno.Command("grep", { args: ["-m1", "model name", "/proc/cpuinfo"] })
  .output();
const cpu = new TextDecoder().decode(cpuInfo.stdout).split(":")[1]?.trim() ?? "unknown CPU";
const table = [
  `Machine: ${navigator.hardwareConcurrency} cores, ${cpu}; Deno ${Deno.version.deno}. ` +
  `Parameters: ${PAIRS} pairs, group of ${GROUP}, ${CONNECTIONS} connections, ${SECONDS} s per flow` +
  (WITH_CLUSTER ? `; cluster of ${INSTANCES} logic, connect and task each, one api.` : "."),
  "",
  "| target | scenario | metric | value | relay | ratio |",
  "| --- | --- | --- | --- | --- | --- |",
  ...rows.map((r) =>
    `| ${r.target} | ${r.scenario} | ${r.metric} | ${fmt(r.value)}${r.unit ? ` ${r.unit}` : ""} | ${
      fmt(r.relay)
    }${r.unit && !Number.isNaN(r.relay) ? ` ${r.unit}` : ""} | ${
      Number.isNaN(r.relay) ? "–" : (r.value / r.relay).toFixed(2)
    } |`
  ),
].join("\n");
say("");
console.log(table);
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
await Deno.mkdir("results", { recursive: true });
await Deno.writeTextFile(
  `results/bench-${stamp}.md`,
  `# Benchmark ${new Date().toISOString()}\n\n${table}\n\n![latency](bench-${stamp}.svg)\n`,
);
await Deno.writeTextFile(`results/bench-${stamp}.svg`, latencySvg(curves));
say(`\nwrote results/bench-${stamp}.md and .svg`);
Deno.exit(0);
