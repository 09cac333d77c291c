/**
 * Where the tests find the infrastructure of `deno task infra:up`, and fresh,
 * isolated resources on it (a database, a topic, key prefixes) for each test.
 */
import postgres from "postgres";

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
