/**
 * Where the tests find the infrastructure of `deno task infra:up`, and fresh,
 * isolated resources on it (a database, a topic, key prefixes) for each test.
 */
import postgres from "postgres";
import { type Cluster, type ClusterOptions, startCluster } from "../scripts/cluster.ts";

/**
 * Whether the tests run against the HA infrastructure of `deno task infra:up --ha` (every engine a
 * small cluster) instead of the single-node one.
 */
export function haTestsEnabled(): boolean {
  return Deno.env.get("IM_HA_TESTS") === "1";
}

/**
 * Cluster tests run only when asked (CI asks, and so does IM_HA_TESTS=1); then missing
 * infrastructure fails them.
 */
export function clusterTestsEnabled(): boolean {
  return Deno.env.get("IM_CLUSTER_TESTS") === "1" || haTestsEnabled();
}

/** Where the engines of the infrastructure the tests run against listen. */
export interface Infra {
  /** The PostgreSQL server to write to, without a database name. */
  postgres: string;
  /** The Kafka brokers, comma-separated `host:port`s (one on the single-node infrastructure). */
  kafka: string;
  /** The Redis `redis://` URLs, comma-separated: the six nodes of the Redis Cluster with --ha. */
  redis: string;
  /** The etcd members' `http://` URLs, comma-separated. */
  etcd: string;
  /** The streaming replica of `postgres` (hot standby, read-only); only the HA infrastructure has one. */
  postgresReplica?: string;
}

/**
 * The bridge address and fixed ports of `scripts/infra.sh --ha` (scripts/infra/ha.sh): the engines
 * listen on the bridge of `scripts/netns.sh`, where the cluster's processes, each in a network
 * namespace of its own, reach them.
 */
const HA_HOST = "10.77.0.1";
const HA_PORTS = {
  postgres: 25432,
  postgresReplica: 25433,
  kafka: [29092, 29094, 29096],
  redis: [26379, 26380, 26381, 26382, 26383, 26384],
  etcd: [22379, 22381, 22383],
};

function infraEndpoints(): Infra {
  if (haTestsEnabled()) {
    return {
      postgres: `postgres://im@${HA_HOST}:${HA_PORTS.postgres}`,
      postgresReplica: `postgres://im@${HA_HOST}:${HA_PORTS.postgresReplica}`,
      kafka: HA_PORTS.kafka.map((port) => `${HA_HOST}:${port}`).join(","),
      redis: HA_PORTS.redis.map((port) => `redis://${HA_HOST}:${port}`).join(","),
      etcd: HA_PORTS.etcd.map((port) => `http://${HA_HOST}:${port}`).join(","),
    };
  }
  return {
    postgres: `postgres://im@127.0.0.1:${Deno.env.get("IM_INFRA_PG_PORT") ?? "15432"}`,
    kafka: `127.0.0.1:${Deno.env.get("IM_INFRA_KAFKA_PORT") ?? "19092"}`,
    redis: `redis://127.0.0.1:${Deno.env.get("IM_INFRA_REDIS_PORT") ?? "16379"}`,
    etcd: `http://127.0.0.1:${Deno.env.get("IM_INFRA_ETCD_PORT") ?? "12379"}`,
  };
}

/**
 * The loopback endpoints of `scripts/infra.sh`: the single-node engines, or with IM_HA_TESTS=1
 * the clusters of `scripts/infra.sh --ha`.
 */
export const INFRA: Infra = infraEndpoints();

/** A unique suffix for names of one test's resources. */
export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}${crypto.randomUUID().slice(0, 8)}`;
}

/** Creates an empty database and returns its URL. */
export async function freshDatabase(): Promise<string> {
  const name = `im_test_${uniqueSuffix().replaceAll("-", "")}`;
  const admin = postgres(`${INFRA.postgres}/postgres`, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return `${INFRA.postgres}/${name}`;
}

/**
 * Starts a cluster with its own database (a fresh one unless `env` names one in IM_POSTGRES_URL),
 * Kafka topic and group, Redis and etcd prefixes.
 */
export async function startIsolatedCluster(
  env: Record<string, string>,
  { instances = 2, layers, denoFlags = [] }: {
    instances?: number;
    layers?: ClusterOptions["layers"];
    denoFlags?: string[];
  } = {},
): Promise<Cluster> {
  const suffix = uniqueSuffix();
  const database = env.IM_POSTGRES_URL ?? await freshDatabase();
  return await startCluster({
    instances,
    layers,
    denoFlags,
    // On the HA engines every process is on a host of its own (a network namespace).
    netns: haTestsEnabled(),
    env: {
      ...env,
      IM_POSTGRES_URL: database,
      IM_POSTGRES_POOL: "5",
      IM_KAFKA_BROKERS: INFRA.kafka,
      IM_KAFKA_TOPIC: `im.test.${suffix}`,
      IM_KAFKA_GROUP: `im-task-${suffix}`,
      IM_KAFKA_PARTITIONS: "6",
      // On three brokers an acknowledged append is on two of them at least.
      ...(haTestsEnabled() ? { IM_KAFKA_REPLICATION: "3", IM_KAFKA_MIN_INSYNC: "2" } : {}),
      ...(INFRA.postgresReplica && !env.IM_POSTGRES_URL
        ? { IM_POSTGRES_REPLICA_URL: `${INFRA.postgresReplica}/${database.split("/").pop()}` }
        : {}),
      IM_REDIS_URL: INFRA.redis,
      IM_REDIS_PREFIX: `im:${suffix}:`,
      IM_ETCD_ENDPOINTS: INFRA.etcd,
      IM_ETCD_PREFIX: `/im-test/${suffix}/`,
      IM_LEASE_TTL_S: env.IM_LEASE_TTL_S ?? "3",
      IM_HTTP_HOST: env.IM_HTTP_HOST ?? "127.0.0.1",
    },
  });
}

/**
 * Runs `scripts/infra.sh` (`stop redis`, `start`, `restart kafka`, `kill --ha redis-1`, …); throws
 * if it fails.
 */
export async function infraScript(...args: string[]): Promise<void> {
  const script = new URL("../scripts/infra.sh", import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command("bash", {
    args: [script, ...args],
    stderr: "piped",
    stdout: "piped",
  }).output();
  if (code !== 0) {
    const said = new TextDecoder().decode(stdout).split("\n").slice(-20).join("\n");
    throw new Error(
      `infra.sh ${args.join(" ")} failed (${code}): ${new TextDecoder().decode(stderr)}\n${said}`,
    );
  }
}
