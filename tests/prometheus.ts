/**
 * A real Prometheus for the tests (Debian's `prometheus` package): started on a loopback port
 * with a generated configuration, its TSDB in a temporary folder, queried through its HTTP API.
 *
 * When the binary is missing the tests that need it are ignored on a developer's machine, but
 * fail in CI (CI=true) and when the cluster tests are asked for (IM_CLUSTER_TESTS=1): .ci/run
 * installs the package, so a missing binary there is a broken CI, not a reason to skip.
 */
import { assertEquals } from "./assert.ts";
import type { ImClient } from "../client/mod.ts";

/** The `prometheus` binary (PROMETHEUS_BIN, else the one on PATH), or null when absent. */
export function prometheusBinary(): string | null {
  return findBinary(Deno.env.get("PROMETHEUS_BIN") ?? "prometheus");
}

/** The `promtool` binary (PROMTOOL_BIN, else the one on PATH), or null when absent. */
export function promtoolBinary(): string | null {
  return findBinary(Deno.env.get("PROMTOOL_BIN") ?? "promtool");
}

function findBinary(name: string): string | null {
  const candidates = name.includes("/")
    ? [name]
    : (Deno.env.get("PATH") ?? "").split(":").filter(Boolean).map((dir) => `${dir}/${name}`);
  for (const path of candidates) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // Not in this folder.
    }
  }
  return null;
}

/**
 * Whether a test that needs `binary` must be ignored: only when it is missing on a developer's
 * machine. In CI or with IM_CLUSTER_TESTS=1 it runs, and fails on the missing binary.
 */
export function ignoreWithout(binary: string | null): boolean {
  if (binary) return false;
  return Deno.env.get("CI") !== "true" && Deno.env.get("IM_CLUSTER_TESTS") !== "1";
}

/** The binary, or a clear failure naming the package to install. */
export function required(binary: string | null, name: string): string {
  if (!binary) {
    throw new Error(
      `${name} is not installed (apt-get install prometheus); CI and IM_CLUSTER_TESTS=1 need it`,
    );
  }
  return binary;
}

/** One sample of an instant vector. */
export interface Sample {
  metric: Record<string, string>;
  value: number;
}

/** A running Prometheus. */
export interface Prometheus {
  /** Its base URL, such as `http://127.0.0.1:40123`. */
  url: string;
  /** Evaluates an instant PromQL query now and returns its samples. */
  query(expr: string): Promise<Sample[]>;
  /** The GET answer of an API path (`/api/v1/targets`, `/api/v1/rules`), its `data`. */
  api<T>(path: string): Promise<T>;
  /** Everything it printed. */
  output(): string;
  /** Stops it and removes its folder. */
  stop(): Promise<void>;
}

/** Options of `startPrometheus()`. */
export interface PrometheusOptions {
  /** Scrape targets by job: `host:port` addresses whose `/metrics` it scrapes. */
  jobs?: Record<string, string[]>;
  /** Rule files to load (absolute paths). */
  ruleFiles?: string[];
  /** Scrape and rule evaluation interval, e.g. `1s`. */
  interval?: string;
}

/** Starts Prometheus on a free loopback port; resolves once `/-/ready` answers 200. */
export async function startPrometheus(
  { jobs = {}, ruleFiles = [], interval = "1s" }: PrometheusOptions = {},
): Promise<Prometheus> {
  const binary = required(prometheusBinary(), "prometheus");
  const dir = await Deno.makeTempDir({ prefix: "im-prometheus-" });
  // JSON is YAML: the configuration needs no YAML writer.
  const config = {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    rule_files: ruleFiles,
    scrape_configs: Object.entries(jobs).map(([job, targets]) => ({
      job_name: job,
      static_configs: [{ targets }],
    })),
  };
  await Deno.writeTextFile(`${dir}/prometheus.yml`, JSON.stringify(config, null, 2));
  const port = freePort();
  const child = new Deno.Command(binary, {
    args: [
      `--config.file=${dir}/prometheus.yml`,
      `--storage.tsdb.path=${dir}/data`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const printed: string[] = [];
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) printed.push(chunk);
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  let exited = false;
  child.status.then(() => exited = true);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    await child.status;
    await pumps;
    await Deno.remove(dir, { recursive: true });
  };
  const deadline = Date.now() + 30_000;
  while (!(await answers(`${url}/-/ready`))) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus did not start:\n${printed.join("")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${url}${path}`);
    const body = await response.json();
    if (body.status !== "success") {
      throw new Error(`prometheus ${path}: ${body.errorType}: ${body.error}`);
    }
    return body.data as T;
  };
  return {
    url,
    api,
    async query(expr) {
      const data = await api<
        { result: { metric: Record<string, string>; value: [number, string] }[] }
      >(
        `/api/v1/query?query=${encodeURIComponent(expr)}`,
      );
      return data.result.map(({ metric, value }) => ({ metric, value: Number(value[1]) }));
    },
    output: () => printed.join(""),
    stop,
  };
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url);
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/** A port free on loopback now (Prometheus takes no port 0). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** `host:port` of a URL, as a scrape target. */
export function target(url: string): string {
  return new URL(url).host;
}

/**
 * Waits until every target Prometheus knows has been scraped successfully once; throws with the
 * targets' last errors otherwise.
 */
export async function waitForTargetsUp(prometheus: Prometheus, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const { activeTargets } = await prometheus.api<{
      activeTargets: { scrapeUrl: string; health: string; lastError: string }[];
    }>("/api/v1/targets");
    if (activeTargets.length > 0 && activeTargets.every((t) => t.health === "up")) return;
    last = activeTargets.map((t) => `${t.scrapeUrl}: ${t.health} ${t.lastError}`).join("\n");
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`targets not up:\n${last}`);
}

/** Sends from `from` to `to` at `perSecond` until `until`; resolves to the sends accepted. */
export async function steadySends(
  from: ImClient,
  to: ImClient,
  perSecond: number,
  until: number,
): Promise<number> {
  let accepted = 0;
  const started = Date.now();
  while (Date.now() < until) {
    await from.send({ type: "user", id: to.self!.id }, { type: "text", text: `m${accepted}` });
    accepted++;
    const due = started + (accepted * 1000) / perSecond;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
  }
  return accepted;
}

/** Evaluates `expr` and prints it with its answer, so the test output can be quoted. */
export async function show(prometheus: Prometheus, expr: string): Promise<Sample[]> {
  const samples = await prometheus.query(expr);
  const shown = samples.length === 0 ? "(no samples)" : samples.map(({ metric, value }) => {
    const labels = Object.entries(metric).map(([k, v]) => `${k}="${v}"`).join(", ");
    return `{${labels}} ${value}`;
  }).join("; ");
  console.log(`PromQL ${expr}\n  => ${shown}`);
  return samples;
}

/** The single value of a query that sums to one sample. */
export async function scalar(prometheus: Prometheus, expr: string): Promise<number> {
  const samples = await show(prometheus, expr);
  assertEquals(samples.length, 1, `one sample of ${expr}`);
  return samples[0].value;
}
