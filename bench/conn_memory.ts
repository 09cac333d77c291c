/**
 * Where a connect server's memory per idle connection goes: the real front door, pipeline and
 * fan-out (connect/mod.ts) behind the real HTTP and WebSocket server (shared/http_server.ts), in
 * this process, with a logic that knows every token `t<N>` as user `u<N>` and a presence and
 * status queue that keep nothing (a cluster's are in Redis); the sockets are held
 * by a load process (bench/conn_load.ts). After a forced garbage collection at 0 and at each
 * step, prints the V8 heap used, the memory outside the heap (`external`: ArrayBuffers and
 * Buffers) and RSS, per connection.
 *
 *   deno run -A --v8-flags=--expose-gc bench/conn_memory.ts [10000] [--steps 2] [--bare] [--snapshot FILE]
 */
import { createConnect } from "../connect/mod.ts";
import { serveHttp } from "../shared/http_server.ts";
import type { Presence } from "../shared/presence/mod.ts";
import type { StatusQueue } from "../shared/queue/mod.ts";
import type { LogicService } from "../shared/rpc/logic.ts";
import type { LoadPlan, LoadReport } from "./conn_load.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error("run with --v8-flags=--expose-gc");
  Deno.exit(2);
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Memory after collecting the garbage (twice: weak references are cleared by the second). */
async function settled(): Promise<Deno.MemoryUsage> {
  await sleep(500);
  gc!();
  await sleep(100);
  gc!();
  return Deno.memoryUsage();
}

const count = Number(Deno.args.find((a) => /^\d+$/.test(a)) ?? 10_000);
const stepsAt = Deno.args.indexOf("--steps");
const steps = stepsAt >= 0 ? Number(Deno.args[stepsAt + 1]) : 2;

/**
 * --bare: sockets accepted by the HTTP server alone, answered `ready` and `pong` and held in a
 * Set: the floor under connect's own cost.
 */
const bare = Deno.args.includes("--bare");
const held = new Set<WebSocket>();
const acceptBare = (socket: WebSocket) => {
  held.add(socket);
  socket.onmessage = (event) =>
    socket.send(String(event.data).includes('"auth"') ? '{"op":"ready"}' : '{"op":"pong"}');
  socket.onclose = () => held.delete(socket);
};

const logic = {
  authenticate: (token: string) =>
    Promise.resolve({ id: `u${token.slice(1)}`, username: `u${token.slice(1)}`, nickname: "u" }),
  groupIdsOf: () => Promise.resolve([]),
} as unknown as LogicService;
const connect = createConnect({
  logic,
  // A cluster's presence and status queue are in Redis: nothing of them stays in this process.
  presence: {
    connect: () => Promise.resolve(true),
    disconnect: () => Promise.resolve(true),
  } as unknown as Presence,
  statusQueue: { push: () => Promise.resolve() } as unknown as StatusQueue,
  serverId: "probe",
  hash: (userId) => userId.length * 31 + userId.charCodeAt(userId.length - 1),
  maxConnectionsPerAddress: 1_000_000,
  maxUnauthenticatedPerAddress: 1_000_000,
});
const http = await serveHttp({
  host: "0.0.0.0",
  port: 0,
  limits: {
    maxConnections: 0,
    httpConnectionsPerAddress: 1_000_000,
    headersTimeoutMs: 10_000,
    keepAliveTimeoutMs: 5_000,
  },
  handler: () => new Response("no", { status: 404 }),
  webSockets: {
    frameBytes: 64 * 1024,
    upgrade: (r, a) => bare ? { accept: acceptBare } : connect.upgrade(r, a),
  },
});

const rows: string[] = [];
const size = () => bare ? held.size : connect.size;
const base = await settled();
const show = (n: number, m: Deno.MemoryUsage) => {
  const per = (a: number, b: number) => n > 0 ? ((a - b) / 1024 / n).toFixed(2) : "–";
  rows.push(
    `| ${n} | ${(m.heapUsed / 2 ** 20).toFixed(1)} | ${per(m.heapUsed, base.heapUsed)} | ${
      per(m.external, base.external)
    } | ${(m.rss / 2 ** 20).toFixed(1)} | ${per(m.rss, base.rss)} |`,
  );
};
show(0, base);
const plan = await Deno.makeTempFile({ suffix: ".json" });
const loads: Deno.ChildProcess[] = [];
for (let step = 1; step <= steps; step++) {
  const n = Math.round(count / steps);
  const offset = (step - 1) * n;
  const loadPlan: LoadPlan = {
    api: "http://127.0.0.1:1",
    servers: [`ws://127.0.0.1:${http.port}/ws`],
    tokens: Array.from({ length: n }, (_, i) => `t${offset + i}`),
    host: `127.0.0.${step + 1}`,
    concurrency: 200,
    pingMs: 25_000,
  };
  await Deno.writeTextFile(plan, JSON.stringify(loadPlan));
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}bench/conn_load.ts`, plan],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  loads.push(child);
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes('"opened"')) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the load process exited");
    text += value;
  }
  const opened = text.split("\n").map((l) => l.startsWith("{") ? JSON.parse(l) as LoadReport : null)
    .find((r) => r?.event === "opened");
  console.error(`step ${step}: ${JSON.stringify(opened)}; server holds ${size()}`);
  show(size(), await settled());
}
console.log(
  [
    "| connections | heap used (MB) | heap per connection (KB) | external per connection (KB) | RSS (MB) | RSS per connection (KB) |",
    "|---:|---:|---:|---:|---:|---:|",
    ...rows,
  ].join("\n"),
);
const snapshotAt = Deno.args.indexOf("--snapshot");
if (snapshotAt >= 0) {
  // A heap snapshot with every connection open, for Chrome DevTools' Memory tab.
  const { default: v8 } = await import("node:v8");
  console.error(`wrote ${v8.writeHeapSnapshot(Deno.args[snapshotAt + 1])}`);
}
for (const child of loads) child.kill("SIGKILL");
await Deno.remove(plan);
Deno.exit(0);
