/**
 * Starting the embedded mode: the time to a /healthz answer, as a user restarts it (`deno task
 * start`) and as the server process alone, and its resident memory once started.
 */
import { startServer } from "../tests/harness.ts";
import { sampleResident } from "./resident.ts";
import { BENCH_ENV } from "./targets.ts";
import type { Row } from "./report.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `url` until it answers 200; resolves with the time it answered (performance.now()). */
async function answered(url: string, exited: () => boolean, timeoutMs = 180_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (exited()) throw new Error(`The server exited before ${url} answered`);
    try {
      const response = await fetch(url);
      await response.body?.cancel();
      if (response.ok) return performance.now();
    } catch {
      // Not listening yet.
    }
    await sleep(20);
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`);
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/**
 * Milliseconds from spawning `deno task start` (with whatever the task does first) on `dataDir`
 * until /healthz answers. The task runs in its own session (`setsid`), and the whole session is
 * stopped with SIGTERM afterwards, since `deno task` runs the server as its child.
 */
export async function taskStartMs(dataDir: string): Promise<number> {
  const port = freePort();
  const started = performance.now();
  const child = new Deno.Command("setsid", {
    args: [Deno.execPath(), "task", "start"],
    cwd: ROOT,
    env: { IM_DATA_DIR: dataDir, IM_HTTP_PORT: String(port), IM_HTTP_HOST: "127.0.0.1" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const errors: string[] = [];
  const pump = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      errors.push(chunk);
    }
  })();
  let exited = false;
  child.status.then(() => exited = true);
  try {
    return (await answered(`http://127.0.0.1:${port}/healthz`, () => exited)) - started;
  } catch (error) {
    throw new Error(`deno task start: ${(error as Error).message}\n${errors.join("")}`);
  } finally {
    // setsid made the child the leader of its own process group: stop the group.
    try {
      Deno.kill(-child.pid, "SIGTERM");
    } catch {
      // Already gone.
    }
    await child.status;
    await pump;
  }
}

/** Milliseconds from starting the server process on `dataDir` until /healthz answers. */
export async function processStartMs(dataDir: string): Promise<number> {
  const started = performance.now();
  const server = await startServer({ dataDir, env: BENCH_ENV });
  // startServer resolves when the process prints that it listens; /healthz answers from then on.
  const ms = (await answered(`${server.url}/healthz`, () => false)) - started;
  await server.stop("SIGTERM");
  return ms;
}

/**
 * The resident memory (bytes) of the embedded server right after it starts on a fresh data dir:
 * the median of samples `settleMs` after /healthz answers.
 */
export async function idleResidentBytes(settleMs = 3000): Promise<number> {
  const dataDir = await Deno.makeTempDir({ prefix: "im-idle-" });
  const server = await startServer({ dataDir, env: BENCH_ENV });
  try {
    await answered(`${server.url}/healthz`, () => false);
    await sleep(settleMs);
    return (await sampleResident(server.process!.pid)).median;
  } finally {
    await server.stop("SIGKILL");
    await Deno.remove(dataDir, { recursive: true });
  }
}

/**
 * The cold starts' rows: `deno task start` and the server process alone on `dataDir` (which
 * holds what `stored` says), and the server process on an empty folder.
 */
export async function coldStartRows(dataDir: string, stored: string): Promise<Row[]> {
  const row = (scenario: string, metric: string, value: number): Row => ({
    target: "embedded",
    scenario,
    metric,
    value,
    relay: NaN,
    unit: "ms",
  });
  const empty = await Deno.makeTempDir({ prefix: "im-cold-" });
  try {
    return [
      row(
        `cold start, ${stored}`,
        "`deno task start` to /healthz (P6: ≤ 2 s)",
        await taskStartMs(dataDir),
      ),
      row(`cold start, ${stored}`, "server process to /healthz", await processStartMs(dataDir)),
      row("cold start, empty data dir", "server process to /healthz", await processStartMs(empty)),
    ];
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
}
