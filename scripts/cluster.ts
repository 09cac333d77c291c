/**
 * Starts a cluster on this machine against the engines of `deno task infra:up`:
 * api×1, logic×2, task×2, connect×2, each its own process. Run directly
 * (`deno task cluster`) it prints the public URL and stops everything on Ctrl-C;
 * the end-to-end harness imports `startCluster()`.
 *
 * Each process says it is up in its log (JSON lines here, as its output is a pipe): its start
 * line (`gRPC on …`, `WebSocket on …`, `consuming …`, `listening on …`) and
 * `metrics on http://HOST:PORT/metrics`, the URL of its `/metrics`, `/healthz` and `/readyz`.
 * With `OTEL_EXPORTER_OTLP_ENDPOINT` set, every process runs with `OTEL_DENO=true` (Deno's
 * built-in OpenTelemetry reads it at start) and `OTEL_SERVICE_NAME=im-<layer>` unless set.
 *
 * With `netns` (`deno task cluster --netns`, and the HA tests) every process runs in a network
 * namespace of its own made by `scripts/netns.sh` (`im-ns-K`, address 10.77.0.(10+K)): no process
 * shares a host with another, so the addresses they advertise in etcd, the connect URLs clients get
 * and every connection between layers cross a network for real. The engines must then listen on
 * the bridge (`deno task infra:up --ha` does).
 */

const ROOT = new URL("../", import.meta.url).pathname;
const FLAGS = ["--allow-net", "--allow-read", "--allow-env", "--allow-ffi", "--allow-sys"];

/** One process of the cluster. */
export interface ClusterProcess {
  name: string;
  layer: "api" | "logic" | "task" | "connect";
  child: Deno.ChildProcess;
  output: string[];
  env: Record<string, string>;
  /** The network namespace it runs in, if any. */
  namespace?: string;
  /** Its `/metrics` URL (`/healthz` and `/readyz` beside it), once it has started. */
  metricsUrl?: string;
}

/** A running cluster. */
export interface Cluster {
  /** The api's base URL (the first api process's, when there are several). */
  url: string;
  /** Every api process's base URL, the first being `url`. */
  urls: string[];
  processes: ClusterProcess[];
  /** Starts a stopped process again with the same settings. */
  restart(name: string): Promise<void>;
  /** Sends a signal to one process and waits for it to exit. */
  signal(name: string, signal: Deno.Signal): Promise<Deno.CommandStatus>;
  /** Stops every process (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>;
}

/** Options of `startCluster()`. */
export interface ClusterOptions {
  /** Settings for every process (IM_* variables). */
  env?: Record<string, string>;
  /** The api's HTTP port (0 picks one). */
  apiPort?: number;
  /** Echo the processes' output. */
  echo?: boolean;
  /** Instances of each of logic, connect and task (default 2). */
  instances?: number;
  /** Instances of a layer other than `instances` (the connections bench: many connect, few logic). */
  layers?: Partial<Record<"logic" | "connect" | "task" | "api", number>>;
  /** Extra flags of `deno run` for every process, such as `--cpu-prof`. */
  denoFlags?: string[];
  /** Each process in a network namespace of its own (`scripts/netns.sh up` made them). */
  netns?: boolean;
}

/** The address of network namespace `im-ns-K` of `scripts/netns.sh`. */
export function namespaceAddress(k: number): string {
  return `10.77.0.${10 + k}`;
}

/** The start line of each layer (the message text: it matches JSON and readable lines alike). */
const READY: Record<ClusterProcess["layer"], RegExp> = {
  logic: /gRPC on [^\s"]+:\d+/,
  connect: /WebSocket on ws:\/\/[^:]+:(\d+)/,
  task: /consuming \S+ as /,
  api: /listening on http:\/\/([\d.]+):(\d+)/,
};

/** Every process's line naming its metrics URL. */
const METRICS = /metrics on (http:\/\/[^\s"/]+:\d+\/metrics)/;

/**
 * A URL a client on this machine can open: a wildcard bind address becomes the process's host
 * (the loopback, or its namespace's address).
 */
function reachable(url: string, host = "127.0.0.1"): string {
  return url.replace(/^http:\/\/(?:0\.0\.0\.0|\[::\]|::)(?=:)/, `http://${host}`);
}

function spawn(
  name: string,
  layer: ClusterProcess["layer"],
  env: Record<string, string>,
  echo: boolean,
  denoFlags: string[],
  namespace?: string,
): ClusterProcess {
  const deno = [Deno.execPath(), "run", ...FLAGS, ...denoFlags, `${layer}/main.ts`];
  // `ip netns exec` enters the namespace and execs deno: the child's pid is deno's own.
  const [command, ...args] = namespace ? ["ip", "netns", "exec", namespace, ...deno] : deno;
  const child = new Deno.Command(command, {
    args,
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const process: ClusterProcess = { name, layer, child, output: [], env, namespace };
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      process.output.push(chunk);
      if (echo) {
        for (const line of chunk.split("\n")) if (line) console.log(`[${name}] ${line}`);
      }
    }
  };
  pump(child.stdout);
  pump(child.stderr);
  return process;
}

/**
 * Waits for a process's start line and metrics line; api and connect keep their port for
 * restarts, as clients hold it.
 */
async function ready(process: ClusterProcess, timeoutMs = 60_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  process.child.status.then(() => exited = true);
  while (Date.now() < deadline) {
    const output = process.output.join("");
    const match = READY[process.layer].exec(output);
    const metrics = METRICS.exec(output);
    if (match && metrics) {
      process.metricsUrl = reachable(metrics[1], process.env.IM_ADVERTISE_HOST);
      const port = process.layer === "api"
        ? match[2]
        : process.layer === "connect"
        ? match[1]
        : undefined;
      if (port) process.env.IM_HTTP_PORT = port;
      return match;
    }
    if (exited) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${process.name} did not start:\n${process.output.join("")}`);
}

/**
 * With an OTLP endpoint set, what a process needs to export its spans: Deno's built-in
 * OpenTelemetry is on only when `OTEL_DENO=true` at start, and a service name per layer tells
 * the layers apart in a trace.
 */
function otel(
  base: Record<string, string>,
  layer: ClusterProcess["layer"],
): Record<string, string> {
  if (!base.OTEL_EXPORTER_OTLP_ENDPOINT) return {};
  return { OTEL_DENO: "true", OTEL_SERVICE_NAME: base.OTEL_SERVICE_NAME ?? `im-${layer}` };
}

/** Starts the cluster; resolves once every process is ready. */
export async function startCluster(
  {
    env = {},
    apiPort = 0,
    echo = false,
    instances = 2,
    layers = {},
    denoFlags = [],
    netns = false,
  }: ClusterOptions = {},
): Promise<Cluster> {
  const base = { ...Deno.env.toObject(), ...env };
  const namespaces = new Map<string, string>();
  /** In a namespace: its address is where the process listens and what it advertises. */
  const placed = (name: string): Record<string, string> => {
    if (!netns) return {};
    const k = namespaces.size + 1;
    namespaces.set(name, `im-ns-${k}`);
    return { IM_HTTP_HOST: namespaceAddress(k), IM_ADVERTISE_HOST: namespaceAddress(k) };
  };
  const layout: [string, ClusterProcess["layer"], Record<string, string>][] = [];
  for (const layer of ["logic", "connect", "task"] as const) {
    for (let i = 1; i <= (layers[layer] ?? instances); i++) {
      const own: Record<string, string> = { IM_INSTANCE_ID: `${layer}-${i}` };
      if (layer === "connect") own.IM_HTTP_PORT = "0";
      else own.IM_METRICS_PORT = "0";
      const name = `${layer}-${i}`;
      layout.push([name, layer, { ...own, ...otel(base, layer), ...placed(name) }]);
    }
  }
  layout.push([
    "api",
    "api",
    { IM_HTTP_PORT: String(apiPort), ...otel(base, "api"), ...placed("api") },
  ]);
  // More api processes (the connections bench's reconnect storm), each on a port of its own.
  for (let i = 2; i <= (layers.api ?? 1); i++) {
    const name = `api-${i}`;
    layout.push([name, "api", { IM_HTTP_PORT: "0", ...otel(base, "api"), ...placed(name) }]);
  }
  const processes: ClusterProcess[] = [];
  const stop = async () => {
    await Promise.all(processes.map(async (p) => {
      try {
        p.child.kill("SIGTERM");
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          p.child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 10_000);
      await p.child.status;
      clearTimeout(timer);
    }));
  };
  try {
    // Layers in dependency order; instances of one layer start together.
    for (const layer of ["logic", "connect", "task", "api"] as const) {
      const started = layout.filter(([, l]) => l === layer).map(([name, l, own]) =>
        spawn(name, l, { ...base, ...own }, echo, denoFlags, namespaces.get(name))
      );
      processes.push(...started);
      await Promise.all(started.map((p) => ready(p)));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const urls = processes.filter((p) => p.layer === "api").map((api) => {
    const match = READY.api.exec(api.output.join(""))!;
    return `http://${match[1] === "0.0.0.0" ? "127.0.0.1" : match[1]}:${match[2]}`;
  });
  const byName = (name: string) => {
    const found = processes.find((p) => p.name === name);
    if (!found) throw new Error(`No process ${name}`);
    return found;
  };
  return {
    url: urls[0],
    urls,
    processes,
    async restart(name) {
      const old = byName(name);
      const fresh = spawn(old.name, old.layer, old.env, echo, denoFlags, old.namespace);
      processes[processes.indexOf(old)] = fresh;
      await ready(fresh);
    },
    async signal(name, signal) {
      const process = byName(name);
      try {
        process.child.kill(signal);
      } catch { /* already gone */ }
      return await process.child.status;
    },
    stop,
  };
}

if (import.meta.main) {
  const port = Number(Deno.env.get("IM_HTTP_PORT") ?? "8080");
  const netns = Deno.args.includes("--netns");
  const cluster = await startCluster({ apiPort: port, echo: true, netns });
  const metrics = cluster.processes.map((p) => `  ${p.name.padEnd(10)} ${p.metricsUrl}`);
  console.log(
    `\nim cluster: open ${cluster.url} (api×1, logic×2, task×2, connect×2); Ctrl-C stops it\n` +
      `metrics (with /healthz and /readyz beside each):\n${metrics.join("\n")}\n`,
  );
  let stopping = false;
  const onSignal = async () => {
    if (stopping) return;
    stopping = true;
    await cluster.stop();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
}
