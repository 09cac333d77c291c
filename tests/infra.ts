/**
 * Where the tests find the infrastructure of `deno task infra:up`, and fresh,
 * isolated resources on it (a database, a topic, key prefixes) for each test.
 */
import postgres from "postgres";
import { type Cluster, type ClusterOptions, startCluster } from "../scripts/cluster.ts";

/** Cluster tests run only when asked (CI asks); then missing infrastructure fails them. */
export function clusterTestsEnabled(): boolean {
  return Deno.env.get("IM_CLUSTER_TESTS") === "1";
}

/** The loopback endpoints of `scripts/infra.sh`. */
export const INFRA = {
  postgres: `postgres://im@127.0.0.1:${Deno.env.get("IM_INFRA_PG_PORT") ?? "15432"}`,
  kafka: `127.0.0.1:${Deno.env.get("IM_INFRA_KAFKA_PORT") ?? "19092"}`,
  redis: `redis://127.0.0.1:${Deno.env.get("IM_INFRA_REDIS_PORT") ?? "16379"}`,
  etcd: `http://127.0.0.1:${Deno.env.get("IM_INFRA_ETCD_PORT") ?? "12379"}`,
};

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
  return await startCluster({
    instances,
    layers,
    denoFlags,
    env: {
      ...env,
      IM_POSTGRES_URL: env.IM_POSTGRES_URL ?? await freshDatabase(),
      IM_POSTGRES_POOL: "5",
      IM_KAFKA_BROKERS: INFRA.kafka,
      IM_KAFKA_TOPIC: `im.test.${suffix}`,
      IM_KAFKA_GROUP: `im-task-${suffix}`,
      IM_KAFKA_PARTITIONS: "6",
      IM_REDIS_URL: INFRA.redis,
      IM_REDIS_PREFIX: `im:${suffix}:`,
      IM_ETCD_ENDPOINTS: INFRA.etcd,
      IM_ETCD_PREFIX: `/im-test/${suffix}/`,
      IM_LEASE_TTL_S: "3",
      IM_HTTP_HOST: env.IM_HTTP_HOST ?? "127.0.0.1",
    },
  });
}

/** Runs `scripts/infra.sh` (`stop redis`, `start`, `restart kafka`, …); throws if it fails. */
export async function infraScript(...args: string[]): Promise<void> {
  const script = new URL("../scripts/infra.sh", import.meta.url).pathname;
  const { code, stderr } = await new Deno.Command("bash", {
    args: [script, ...args],
    stderr: "piped",
    stdout: "null",
  }).output();
  if (code !== 0) {
    throw new Error(`infra.sh ${args.join(" ")} failed: ${new TextDecoder().decode(stderr)}`);
  }
}
