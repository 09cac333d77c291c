/**
 * The Redis connection of a cluster process, configured the same way in every layer: one Redis, or
 * a Redis Cluster when `IM_REDIS_URL` lists several nodes (or `IM_REDIS_CLUSTER=true`).
 *
 * Every port on it (presence, status queue, limiter, dedupe) works on both. On a Cluster each
 * command, MULTI and script touches keys of one hash slot (keys that go together share a `{tag}`),
 * and no explicit pipeline spans slots: ioredis refuses a pipeline across nodes, so commands are
 * issued one by one and auto-pipelining batches them per node.
 */
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from "ioredis";

/** A connection to one Redis or to a Redis Cluster: the ports accept either. */
export type RedisClient = Redis | Cluster;

/** Options of `connectRedis()`. */
export interface ConnectRedisOptions {
  /** A Redis Cluster even when `urls` names one node (several always are one). */
  cluster?: boolean;
}

/**
 * Retries of a command a Cluster answers "connection closed" (its master died) or CLUSTERDOWN
 * (a slot has no master yet), and the pause between them. With `cluster-node-timeout` 2 s a
 * replica takes over within about 3–5 s; 40 × 200 ms rides that out, then the caller sees the
 * error (the limit also bounds MOVED/ASK redirections, a handful at most when slots move).
 */
const FAILOVER_RETRIES = 40;
const FAILOVER_RETRY_MS = 200;

/** Options every node connection shares: the single Redis's and each Cluster node's. */
const NODE_OPTIONS: RedisOptions = {
  maxRetriesPerRequest: 2,
  // A batch of sends issues its dedupe gets, rate limits and claims together,
  // and task its route lookups: pipelined, they cost one write and one read
  // instead of one per command (socket writes were a quarter of logic's CPU).
  enableAutoPipelining: true,
};

/** How to connect: one Redis by its URL, or a Cluster by its startup nodes. */
export type RedisPlan =
  | { kind: "single"; url: string; options: RedisOptions }
  | { kind: "cluster"; nodes: { host: string; port: number }[]; options: ClusterOptions };

/**
 * Reads the URLs into a connection plan; throws naming the problem (a database other than 0 or
 * nodes with different credentials on a Cluster, a URL that is not `redis://` or `rediss://`).
 */
export function redisPlan(
  urls: string | readonly string[],
  { cluster = false }: ConnectRedisOptions = {},
): RedisPlan {
  const list = (typeof urls === "string" ? urls.split(",") : [...urls])
    .map((url) => url.trim())
    .filter(Boolean);
  if (list.length === 0) throw new Error("No Redis URL given");
  const parsed = list.map((url) => {
    const parsed = URL.canParse(url) ? new URL(url) : null;
    if (!parsed || !/^rediss?:$/.test(parsed.protocol) || !parsed.hostname) {
      throw new Error(`Invalid Redis URL "${url}": expected redis://[user:password@]host:port`);
    }
    return parsed;
  });
  if (list.length === 1 && !cluster) {
    return { kind: "single", url: list[0], options: { ...NODE_OPTIONS } };
  }
  const [first] = parsed;
  for (const url of parsed) {
    if (url.pathname !== "" && url.pathname !== "/" && url.pathname !== "/0") {
      throw new Error(
        `Redis URL "${url.host}${url.pathname}": a Redis Cluster has only database 0`,
      );
    }
    if (
      url.protocol !== first.protocol || url.username !== first.username ||
      url.password !== first.password
    ) {
      throw new Error(
        "The Redis Cluster's URLs differ in scheme or credentials: give every node's",
      );
    }
  }
  const credentials: RedisOptions = {};
  if (first.username) credentials.username = decodeURIComponent(first.username);
  if (first.password) credentials.password = decodeURIComponent(first.password);
  if (first.protocol === "rediss:") credentials.tls = {};
  return {
    kind: "cluster",
    nodes: parsed.map((url) => ({
      host: url.hostname.replace(/^\[|\]$/g, ""),
      port: Number(url.port || 6379),
    })),
    options: {
      enableAutoPipelining: true,
      // Replicas copy asynchronously: a read there could miss a route or claim just acknowledged.
      scaleReads: "master",
      // Whatever node the command reaches first, every node learns the slots anew: the nodes the
      // Cluster announces (with the credentials and TLS of the URLs) replace the startup list.
      redisOptions: { ...credentials, maxRetriesPerRequest: NODE_OPTIONS.maxRetriesPerRequest },
      maxRedirections: FAILOVER_RETRIES,
      retryDelayOnFailover: FAILOVER_RETRY_MS,
      retryDelayOnClusterDown: FAILOVER_RETRY_MS,
      retryDelayOnTryAgain: 100,
      // No startup node answers (at start, or every node was lost): try again, at most every 2 s.
      clusterRetryStrategy: (times: number) => Math.min(100 * times, 2000),
    },
  };
}

/**
 * Connects to Redis: one URL is one Redis, several (comma-separated or a list) the startup nodes
 * of a Cluster. Commands issued in one tick go out in one write (per node).
 */
export function connectRedis(
  urls: string | readonly string[],
  options: ConnectRedisOptions = {},
): RedisClient {
  const plan = redisPlan(urls, options);
  return plan.kind === "single"
    ? new Redis(plan.url, plan.options)
    : new Cluster(plan.nodes, plan.options);
}

/**
 * Whether Redis serves every key: one Redis answers PING; on a Cluster the node asked says the
 * cluster is `ok` (every slot has a master) and every master the client knows answers PING.
 * The readiness probe of each process that holds Redis: it waits while the client (re)connects,
 * and the probe's own timeout decides when that is too long.
 */
export async function pingRedis(redis: RedisClient): Promise<void> {
  if (!(redis instanceof Cluster)) {
    await redis.ping();
    return;
  }
  // Queued until the client knows the slots; the masters are known from then on.
  const info = await redis.cluster("INFO") as string;
  const state = /cluster_state:(\w+)/.exec(info)?.[1];
  if (state !== "ok") throw new Error(`The Redis Cluster's state is ${state ?? "unknown"}`);
  await Promise.all(redis.nodes("master").map((master) => master.ping()));
}
