/**
 * A Redis Cluster for the contract tests of the Redis ports: the one `IM_TEST_REDIS_CLUSTER` names
 * (comma-separated `redis://` URLs, e.g. the HA infrastructure's), or else a throwaway one this
 * helper starts: three masters (`redis-server --cluster-enabled yes`, no replicas, nothing saved)
 * on free loopback ports in a temporary folder, joined by `redis-cli --cluster create`.
 *
 * A test file asks `redisCluster()` in each test that needs it: the first call starts the cluster
 * (daemonized, so no test holds its processes), later ones share it, and it is stopped when the
 * test process unloads. Without `redis-server` the cluster tests are ignored on a developer's
 * machine and fail in CI (CI=true) or with IM_CLUSTER_TESTS=1, where it is installed.
 */

/** A running Redis Cluster. */
export interface RedisClusterNodes {
  /** One `redis://127.0.0.1:PORT` per master. */
  urls: string[];
  /** Runs `redis-cli` against one of its nodes; returns what it printed. */
  cli(port: number, ...args: string[]): Promise<string>;
  /** The nodes' ports. */
  ports: number[];
}

const MASTERS = 3;

let started: Promise<RedisClusterNodes & { stop(): void }> | null = null;

/** Whether the cluster tests of this run must be ignored: no cluster named and no redis-server. */
export function ignoreRedisCluster(): boolean {
  if (Deno.env.get("IM_TEST_REDIS_CLUSTER")) return false;
  if (hasBinary("redis-server") && hasBinary("redis-cli")) return false;
  return Deno.env.get("CI") !== "true" && Deno.env.get("IM_CLUSTER_TESTS") !== "1";
}

/** Whether a test that starts a cluster of its own must be ignored: no redis-server here. */
export function ignoreOwnRedisCluster(): boolean {
  if (hasBinary("redis-server") && hasBinary("redis-cli")) return false;
  return Deno.env.get("CI") !== "true" && Deno.env.get("IM_CLUSTER_TESTS") !== "1";
}

/** The cluster of this test run: the named one, or a throwaway one started on first use. */
export function redisCluster(): Promise<RedisClusterNodes> {
  started ??= start();
  return started;
}

function hasBinary(name: string): boolean {
  return (Deno.env.get("PATH") ?? "").split(":").filter(Boolean).some((dir) => {
    try {
      return Deno.statSync(`${dir}/${name}`).isFile;
    } catch {
      return false;
    }
  });
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command("redis-cli", {
    args: ["-h", "127.0.0.1", "-p", String(port), ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout);
  if (code !== 0) {
    throw new Error(
      `redis-cli ${args.join(" ")} failed: ${text}${new TextDecoder().decode(stderr)}`,
    );
  }
  return text;
}

async function start(): Promise<RedisClusterNodes & { stop(): void }> {
  const named = Deno.env.get("IM_TEST_REDIS_CLUSTER");
  if (named) {
    const urls = named.split(",").map((url) => url.trim()).filter(Boolean);
    return { urls, cli, ports: urls.map((url) => Number(new URL(url).port)), stop: () => {} };
  }
  return await startRedisCluster({ masters: MASTERS, replicas: 0 });
}

/** A throwaway Redis Cluster of its own, for a test that breaks it (kills a master). */
export interface OwnRedisCluster extends RedisClusterNodes {
  /** Kills one node at once (SIGKILL), as a crash would. */
  kill(port: number): void;
  /** Kills every node and removes the folder (also done when the test process unloads). */
  stop(): void;
}

/**
 * Starts a throwaway Redis Cluster: `masters` masters with `replicas` replicas each
 * (`cluster-node-timeout` 2000, as the HA infrastructure's), and waits until every slot is served.
 */
export async function startRedisCluster(
  { masters, replicas }: { masters: number; replicas: number },
): Promise<OwnRedisCluster> {
  const dir = await Deno.makeTempDir({ prefix: "im-redis-cluster-" });
  const ports = freePorts(masters * (1 + replicas));
  const kill = (port: number) => {
    try {
      const pid = Number(Deno.readTextFileSync(`${dir}/${port}.pid`));
      if (pid > 0) Deno.kill(pid, "SIGKILL");
    } catch {
      // Never started, or gone already.
    }
  };
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    globalThis.removeEventListener("unload", stop);
    for (const port of ports) kill(port);
    Deno.removeSync(dir, { recursive: true });
  };
  // Stopped with the test process at the latest: synchronously, as `unload` waits for nothing.
  globalThis.addEventListener("unload", stop);
  try {
    await Promise.all(ports.map((port) => startNode(dir, port)));
    await cli(
      ports[0],
      "--cluster",
      "create",
      ...ports.map((port) => `127.0.0.1:${port}`),
      "--cluster-replicas",
      String(replicas),
      "--cluster-yes",
    );
    await waitForState(ports);
    await waitForReplicas(ports);
  } catch (error) {
    stop();
    throw error;
  }
  return { urls: ports.map((port) => `redis://127.0.0.1:${port}`), cli, ports, kill, stop };
}

async function startNode(dir: string, port: number): Promise<void> {
  const { code, stderr } = await new Deno.Command("redis-server", {
    args: [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--cluster-enabled",
      "yes",
      "--cluster-config-file",
      `nodes-${port}.conf`,
      "--cluster-node-timeout",
      "2000",
      "--save",
      "",
      "--appendonly",
      "no",
      "--daemonize",
      "yes",
      "--pidfile",
      `${dir}/${port}.pid`,
      "--logfile",
      `${dir}/${port}.log`,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(`redis-server on ${port}: ${new TextDecoder().decode(stderr)}`);
  for (let i = 0; i < 100; i++) {
    try {
      if ((await cli(port, "ping")).trim() === "PONG") return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`redis-server on ${port} did not answer`);
}

/** Every node sees every slot covered: until then a command may meet CLUSTERDOWN. */
export async function waitForState(ports: number[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const states = await Promise.all(ports.map((port) => cli(port, "cluster", "info")));
    if (states.every((info) => /cluster_state:ok/.test(info))) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the Redis Cluster did not reach cluster_state:ok");
}

/** Every replica has copied its master: one that never did may not take its master's place. */
async function waitForReplicas(ports: number[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const replication = await Promise.all(ports.map((port) => cli(port, "info", "replication")));
    const synced = replication.every((info) =>
      !/role:slave/.test(info) || /master_link_status:up/.test(info)
    );
    if (synced) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the Redis Cluster's replicas did not copy their masters");
}

/**
 * Ports free now, each with its cluster bus port (port + 10000) free too: from 30000–32699, clear
 * of the infrastructure's (`infra:up`: 1xxxx, `--ha`: 2xxxx) and below the usual ephemeral range.
 */
function freePorts(count: number): number[] {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = 30000 + Math.floor(Math.random() * 2700);
    if (ports.includes(port) || !free(port) || !free(port + 10000)) continue;
    ports.push(port);
  }
  return ports;
}

function free(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}
