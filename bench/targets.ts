/** What the benchmark runs against: the embedded mode, a cluster, or the bare relay baseline. */
import { ImClient, type SocketConstructor } from "../client/mod.ts";
import { befriend, startServer, uniqueName } from "../tests/harness.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** Settings that take the guards (rate limits, slow KDF) out of the measurement. */
export const BENCH_ENV: Record<string, string> = {
  IM_SCRYPT_COST: "1024",
  IM_SEND_RATE: "1000000",
  IM_SEND_BURST: "1000000",
  IM_BUCKET_RATE: "10000000",
  IM_BUCKET_BURST: "1000000",
  IM_RATE_REGISTER_ADDRESS: "1000000/1",
  IM_RATE_LOGIN_ADDRESS: "1000000/1",
  IM_RATE_FRIEND_REQUEST: "1000000/1",
  IM_ACK_RATE: "1000000",
  IM_ACK_BURST: "1000000",
  IM_READ_RATE: "1000000",
  IM_READ_BURST: "1000000",
  // The search scenario's users search far more often than people do.
  IM_SEARCH_RATE: "1000000",
  IM_SEARCH_BURST: "1000000",
  // The connections scenario opens every socket as one user, from one address.
  IM_MAX_CONNECTIONS_PER_USER: "1000000",
  IM_MAX_CONNECTIONS_PER_ADDRESS: "10000000",
};

/** A running system under test. */
export interface Target {
  name: "embedded" | "cluster" | "relay";
  url: string;
  /** The embedded server's data folder (none for a cluster or the relay). */
  dataDir?: string;
  /** The process serving a WebSocket URL (for RSS and CPU). */
  connectPid(wsUrl: string): number;
  /** Every server process, by name (for profiles, which are named by pid). */
  processes(): { name: string; pid: number }[];
  /** New users, each with one connected client. */
  users(n: number): Promise<ImClient[]>;
  /** Lets two users message each other. */
  pair(a: ImClient, b: ImClient): Promise<void>;
  /** A group of these users; returns its id. */
  group(members: ImClient[]): Promise<string>;
  stop(): Promise<void>;
}

async function connected(
  url: string,
  make: () => Promise<ImClient>,
  n: number,
): Promise<ImClient[]> {
  const out: ImClient[] = [];
  for (let i = 0; i < n; i += 20) {
    out.push(
      ...await Promise.all(Array.from({ length: Math.min(20, n - i) }, async () => {
        const c = await make();
        await c.connect();
        return c;
      })),
    );
  }
  void url;
  return out;
}

function systemTarget(
  name: "embedded" | "cluster",
  url: string,
  connectPid: (wsUrl: string) => number,
  stop: () => Promise<void>,
  processes: () => { name: string; pid: number }[],
  { dataDir, WebSocket }: { dataDir?: string; WebSocket?: SocketConstructor } = {},
): Target {
  return {
    name,
    url,
    dataDir,
    connectPid,
    processes,
    users: (n) =>
      connected(url, async () => {
        const c = new ImClient({ baseUrl: url, WebSocket });
        await c.register(uniqueName("b"), "correct horse battery");
        return c;
      }, n),
    pair: (a, b) => befriend(a, b),
    async group(members) {
      const group = await members[0].createGroup("bench");
      for (let i = 1; i < members.length; i += 20) {
        await Promise.all(members.slice(i, i + 20).map((m) => m.joinGroup(group.id)));
      }
      return group.id;
    },
    stop,
  };
}

/**
 * The embedded mode on `dataDir`, or on a fresh data dir that is removed when it stops. A server
 * on a given folder stops gracefully (SIGTERM), so the folder is whole for the next run.
 */
export async function embeddedTarget(
  { denoFlags = [], dataDir, WebSocket, env = {} }: {
    denoFlags?: string[];
    dataDir?: string;
    /** The WebSocket the bench's clients use (default the global one). */
    WebSocket?: SocketConstructor;
    /** Settings beyond BENCH_ENV's. */
    env?: Record<string, string>;
  } = {},
): Promise<Target> {
  const dir = dataDir ?? await Deno.makeTempDir({ prefix: "im-bench-" });
  const server = await startServer({
    dataDir: dir,
    // Every loopback address, for the connections scenario.
    env: { ...BENCH_ENV, IM_HTTP_HOST: "0.0.0.0", ...env },
    denoFlags,
  });
  return systemTarget(
    "embedded",
    server.url,
    () => server.process!.pid,
    // A profiled server must exit on its own to write its profile.
    async () => {
      await server.stop(denoFlags.length > 0 || dataDir ? "SIGTERM" : "SIGKILL");
      if (!dataDir) await Deno.remove(dir, { recursive: true });
    },
    () => [{ name: "embedded", pid: server.process!.pid }],
    { dataDir: dir, WebSocket },
  );
}

/**
 * A cluster on the infrastructure of `deno task infra:up`, with `instances` of each of logic,
 * connect and task, on a fresh database unless `env` names one (IM_POSTGRES_URL).
 */
export async function clusterTarget(
  { instances = 1, denoFlags = [], WebSocket, env = {} }: {
    instances?: number;
    denoFlags?: string[];
    WebSocket?: SocketConstructor;
    /** Settings beyond BENCH_ENV's. */
    env?: Record<string, string>;
  } = {},
): Promise<Target> {
  const { startIsolatedCluster } = await import("../tests/infra.ts");
  const cluster = await startIsolatedCluster(
    { ...BENCH_ENV, IM_HTTP_HOST: "0.0.0.0", ...env },
    { instances, denoFlags },
  );
  // The connect process whose port the URL names.
  const pidFor = (wsUrl: string) =>
    cluster.processes.find((p) =>
      p.layer === "connect" && p.env.IM_HTTP_PORT === new URL(wsUrl).port
    )!.child.pid;
  return systemTarget(
    "cluster",
    cluster.url,
    pidFor,
    () => cluster.stop(),
    () => cluster.processes.map((p) => ({ name: p.name, pid: p.child.pid })),
    { WebSocket },
  );
}

/** The bare relay of bench/relay.ts. */
export async function relayTarget(
  { WebSocket }: { WebSocket?: SocketConstructor } = {},
): Promise<Target> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-env", `${ROOT}bench/relay.ts`],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/listening on (\S+)/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error("relay exited");
    text += value;
  }
  reader.releaseLock();
  const url = /listening on (\S+)/.exec(text)![1];
  let n = 0;
  return {
    name: "relay",
    url,
    connectPid: () => child.pid,
    processes: () => [{ name: "relay", pid: child.pid }],
    users: (count) =>
      connected(
        url,
        () => Promise.resolve(new ImClient({ baseUrl: url, token: `r${++n}`, WebSocket })),
        count,
      ),
    pair: () => Promise.resolve(),
    async group(members) {
      const id = `${++n}`;
      await fetch(`${url}/relay/groups`, {
        method: "POST",
        body: JSON.stringify({ id, members: members.map((m) => m.self!.id) }),
      })
        .then((r) => r.body?.cancel());
      return id;
    },
    async stop() {
      child.kill("SIGKILL");
      await child.status;
    },
  };
}
