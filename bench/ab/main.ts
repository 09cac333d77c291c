/**
 * `deno task bench:ab --before DIR`: the embedded pairs flow at max against two versions of the
 * server, this tree and another checkout (`git worktree add DIR <commit>`, with `node_modules`
 * linked or installed), alternated round by round so a machine whose speed drifts weighs on both.
 * Prints, per side, deliveries/s, the server's CPU per message answered `sent`, and p99.
 *   deno task bench:ab --before DIR [--rounds 3] [--pairs 50] [--seconds 8]
 * Each side runs its own bench code (targets, flow), so the two measure alike only as long as
 * bench/scenarios.ts and bench/targets.ts keep their shape.
 */
import { WebSocket as NodeWebSocket } from "ws";
import type { FlowResult } from "../scenarios.ts";

function option(name: string, fallback?: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  const value = i >= 0 ? Deno.args[i + 1] : fallback;
  if (value === undefined) {
    console.error(`usage: deno task bench:ab --before DIR [--rounds 3] [--pairs 50] [--seconds 8]`);
    Deno.exit(2);
  }
  return value;
}

const roots = {
  before: new URL(`file://${await Deno.realPath(option("before"))}/`).href,
  after: new URL("../../", import.meta.url).href,
};
const rounds = Number(option("rounds", "3"));
const count = Number(option("pairs", "50"));
const seconds = Number(option("seconds", "8"));

interface Row {
  deliveriesPerSec: number;
  cpuMicros: number;
  p99: number;
}
const rows: Record<"before" | "after", Row[]> = { before: [], after: [] };

for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? ["before", "after"] as const : ["after", "before"] as const;
  for (const side of order) {
    const { embeddedTarget } = await import(`${roots[side]}bench/targets.ts`);
    const { pairs } = await import(`${roots[side]}bench/scenarios.ts`);
    const { processStats } = await import(`${roots[side]}bench/resident.ts`);
    const target = await embeddedTarget({ WebSocket: NodeWebSocket });
    try {
      const serverCpu = async () => {
        let total = 0;
        for (const { pid } of target.processes()) total += (await processStats(pid)).cpuSeconds;
        return total;
      };
      const flow: FlowResult = await pairs(target, {
        pairs: count,
        seconds,
        progress: () => {},
        serverCpu,
      });
      const row = {
        deliveriesPerSec: flow.deliveriesPerSec,
        cpuMicros: (flow.serverCpuSeconds ?? NaN) / (flow.sent ?? NaN) * 1e6,
        p99: flow.latencies[Math.floor(flow.latencies.length * 0.99)],
      };
      rows[side].push(row);
      console.log(
        `round ${round + 1} ${side}: ${row.deliveriesPerSec.toFixed(0)} deliveries/s, ${
          row.cpuMicros.toFixed(1)
        } µs CPU a message, p99 ${row.p99.toFixed(1)} ms`,
      );
    } finally {
      await target.stop();
    }
  }
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
for (const side of ["before", "after"] as const) {
  const of = (key: keyof Row) => mean(rows[side].map((row) => row[key]));
  console.log(
    `${side}: ${of("deliveriesPerSec").toFixed(0)} deliveries/s, ${
      of("cpuMicros").toFixed(1)
    } µs CPU a message, p99 ${of("p99").toFixed(1)} ms (mean of ${rows[side].length})`,
  );
}
