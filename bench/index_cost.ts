/**
 * What keeping the search index costs the send path: the pairs flow at max against a server with
 * the index off (IM_BENCH_SEARCH_INDEX=off: `save()` writes no index row) and one with it on,
 * alternated over `rounds` rounds in one run so that a machine whose speed drifts (other work,
 * thermal) weighs on both alike.
 */
import { type FlowResult, pairs } from "./scenarios.ts";
import { processStats } from "./resident.ts";
import type { Target } from "./targets.ts";
import { type Row } from "./report.ts";

/** The flows of each side, in the order they ran. */
export interface IndexCost {
  off: FlowResult[];
  on: FlowResult[];
}

/** Runs the pairs flow at max alternately without and with the search index. */
export async function indexCost(
  make: (env: Record<string, string>) => Promise<Target>,
  { pairs: count, seconds, rounds, progress }: {
    pairs: number;
    seconds: number;
    rounds: number;
    progress: (line: string) => void;
  },
): Promise<IndexCost> {
  const out: IndexCost = { off: [], on: [] };
  for (let round = 0; round < rounds; round++) {
    for (const side of ["off", "on"] as const) {
      const target = await make({ IM_BENCH_SEARCH_INDEX: side });
      try {
        progress(`${target.name} pairs, search index ${side}, round ${round + 1} of ${rounds}`);
        // Of every process of the system: a cluster's layers all work for a send, and its index
        // is kept by PostgreSQL (whose processes on this machine are counted too).
        const serverCpu = async () => {
          const pids = target.processes().map((p) => p.pid);
          if (target.name === "cluster") pids.push(...await postgresPids());
          let total = 0;
          for (const pid of pids) total += (await processStats(pid)).cpuSeconds;
          return total;
        };
        out[side].push(await pairs(target, { pairs: count, seconds, progress, serverCpu }));
      } finally {
        await target.stop();
      }
    }
  }
  return out;
}

/** The processes of the PostgreSQL server (`deno task infra:up`'s) on this machine. */
async function postgresPids(): Promise<number[]> {
  const { stdout } = await new Deno.Command("ps", { args: ["-C", "postgres", "-o", "pid="] })
    .output();
  return new TextDecoder().decode(stdout).split(/\s+/).filter(Boolean).map(Number);
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** The deliveries/s of each side (mean of its runs), the p99 (mean), and the change with the index. */
export function indexCostRows(
  target: string,
  cost: IndexCost,
  relay: FlowResult,
  relayP99: number,
): Row[] {
  const rows: Row[] = [];
  const runs = cost.on.length;
  for (const side of ["off", "on"] as const) {
    const flows = cost[side];
    const scenario = `pairs, durable, max, search index ${side} (mean of ${runs})`;
    rows.push({
      target,
      scenario,
      metric: "deliveries/s",
      value: mean(flows.map((f) => f.deliveriesPerSec)),
      relay: relay.deliveriesPerSec,
      unit: "",
      note: runs > 1
        ? `${mean(flows.map((f) => f.deliveriesPerSec)).toFixed(0)} (${
          flows.map((f) => f.deliveriesPerSec.toFixed(0)).join(", ")
        })`
        : undefined,
    });
    rows.push({
      target,
      scenario,
      metric: "latency p99",
      value: mean(flows.map((f) => f.latencies[Math.floor(f.latencies.length * 0.99)] ?? NaN)),
      relay: relayP99,
      unit: "ms",
    });
  }
  // Throughput on a shared machine moves with the other load; the server's CPU per message less.
  const cpuPerMessage = (flows: FlowResult[]) =>
    mean(flows.map((f) => (f.serverCpuSeconds ?? NaN) / (f.sent ?? NaN) * 1e6));
  const [cpuOff, cpuOn] = [cpuPerMessage(cost.off), cpuPerMessage(cost.on)];
  for (const [side, value] of [["off", cpuOff], ["on", cpuOn]] as const) {
    rows.push({
      target,
      scenario: `pairs, durable, max, search index ${side} (mean of ${runs})`,
      metric: target === "cluster"
        ? "server CPU per message sent (all layers and PostgreSQL)"
        : "server CPU per message sent",
      value,
      relay: NaN,
      unit: "µs",
    });
  }
  const [off, on] = [cost.off, cost.on].map((f) => mean(f.map((x) => x.deliveriesPerSec)));
  rows.push({
    target,
    scenario: "pairs, durable, max: the search index's cost",
    metric: "server CPU per message with the index against without",
    value: (cpuOn / cpuOff - 1) * 100,
    relay: NaN,
    unit: "%",
  });
  rows.push({
    target,
    scenario: "pairs, durable, max: the search index's cost",
    metric: "deliveries/s with the index against without (goal ≥ −10 %)",
    value: (on / off - 1) * 100,
    relay: NaN,
    unit: "%",
  });
  return rows;
}
