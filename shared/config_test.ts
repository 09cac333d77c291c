import { assertEquals, assertThrows } from "../tests/assert.ts";
import { ConfigError, loadConfig } from "./config.ts";

Deno.test("loadConfig() gives the embedded defaults", () => {
  const config = loadConfig({});
  assertEquals(config.http.port, 8080);
  assertEquals(config.dataDir, "./data");
  assertEquals(config.connect.redeliverMs, 30_000);
  assertEquals(config.connect.buckets, 32);
  assertEquals(config.logic.limits.textMax, 4000);
  assertEquals(Object.isFrozen(config.logic.limits), true);
});

Deno.test("loadConfig() reads variables and fails naming the bad one", () => {
  assertEquals(loadConfig({ IM_HTTP_PORT: "0", IM_CONNECT_BUCKETS: "8" }).connect.buckets, 8);
  for (
    const [name, value] of [
      ["IM_HTTP_PORT", "eighty"],
      ["IM_HTTP_PORT", "70000"],
      ["IM_REDELIVER_MS", "1.5"],
      ["IM_CONNECT_BUCKETS", "0"],
      ["IM_SCRYPT_COST", "1000"],
      ["IM_SERVER_ID", "has space"],
    ]
  ) {
    const error = assertThrows(() => loadConfig({ [name]: value }));
    assertEquals(error instanceof ConfigError && error.message.includes(name), true, name);
  }
  const unknown = assertThrows(() => loadConfig({ IM_HTTP_PROT: "1" }));
  assertEquals(unknown.message.includes("IM_HTTP_PROT"), true);
});

Deno.test("loadConfig() gives each process its slice", () => {
  const env = { IM_HTTP_PORT: "9000", IM_MAX_TEXT: "100", IM_LEASE_TTL_S: "3" };
  assertEquals(Object.keys(loadConfig(env, "task")), [
    "searchIndex",
    "presenceGraceMs",
    "ops",
    "metricsPort",
    "cluster",
  ]);
  assertEquals(loadConfig({ IM_LOG_LEVEL: "debug" }, "connect").ops.logLevel, "debug");
  assertEquals("metricsPort" in loadConfig(env, "embedded"), false);
  assertEquals(loadConfig(env, "task").searchIndex, true);
  const off = { IM_BENCH_SEARCH_INDEX: "off" };
  assertEquals([loadConfig(off, "task").searchIndex, loadConfig(off, "embedded").searchIndex], [
    false,
    false,
  ]);
  assertEquals(loadConfig(env, "task").presenceGraceMs, 3000);
  const noGrace = { IM_PRESENCE_GRACE_MS: "0" };
  assertEquals(
    [loadConfig(noGrace, "task").presenceGraceMs, loadConfig(noGrace, "embedded").presenceGraceMs],
    [0, 0],
  );
  assertEquals(loadConfig(env, "task").cluster.etcd.ttlSeconds, 3);
  assertEquals(loadConfig(env, "logic").logic.limits.textMax, 100);
  assertEquals(loadConfig(env, "api").http.port, 9000);
  assertEquals("cluster" in loadConfig(env, "embedded"), false);
  assertEquals(Object.isFrozen(loadConfig(env, "connect").connect), true);
});

Deno.test("loadConfig() words each refusal as before", () => {
  for (
    const [env, message] of [
      [
        { IM_METRICS_FROM: "10.0.0.0/40" },
        'Invalid IM_METRICS_FROM: "10.0.0.0/40" is not an address range',
      ],
      [
        { IM_HTTP_PORT: "eighty" },
        'Invalid IM_HTTP_PORT="eighty": expected an integer from 0 to 65535',
      ],
      [{ IM_SCRYPT_COST: "1000" }, 'Invalid IM_SCRYPT_COST="1000": expected a power of two'],
      [
        { IM_SERVER_ID: "a b" },
        'Invalid IM_SERVER_ID="a b": expected to match /^[A-Za-z0-9_.-]{1,64}$/',
      ],
      [
        { IM_KAFKA_BROKERS: " , " },
        'Invalid IM_KAFKA_BROKERS=" , ": expected a comma-separated list matching /^[A-Za-z0-9_.-]+:\\d+$/',
      ],
      [
        { IM_RATE_UPLOAD: "60" },
        'Invalid IM_RATE_UPLOAD="60": expected COUNT/SECONDS, such as 10/60 (10 a minute)',
      ],
      [
        { IM_INFRA_DIRS: "x" },
        "Unknown variable IM_INFRA_DIRS: see the configuration table in README.md",
      ],
    ] as const
  ) {
    const error = assertThrows(() => loadConfig(env));
    assertEquals(error instanceof ConfigError && error.message, message);
  }
  assertEquals(loadConfig({ IM_CLUSTER_TESTS: "1", IM_E2E_MODE: "cluster" }).http.port, 8080);
});

Deno.test("loadConfig() reads the engines' clusters: Redis nodes, Kafka replication, etcd members", () => {
  const env = {
    IM_REDIS_URL: " redis://r1:7000, redis://r2:7001 ,redis://r3:7002",
    IM_ETCD_ENDPOINTS: "http://e1:2379 , http://e2:2379,http://e3:2379 ",
    IM_KAFKA_REPLICATION: "3",
    IM_KAFKA_MIN_INSYNC: "2",
  };
  const { redis, etcd, kafka } = loadConfig(env, "task").cluster;
  assertEquals(redis.urls, ["redis://r1:7000", "redis://r2:7001", "redis://r3:7002"]);
  assertEquals(redis.cluster, false, "several URLs make a Cluster without being told");
  assertEquals(etcd.endpoints, ["http://e1:2379", "http://e2:2379", "http://e3:2379"]);
  assertEquals([kafka.replicationFactor, kafka.minInsyncReplicas], [3, 2]);
  const defaults = loadConfig({}, "logic").cluster;
  assertEquals(defaults.redis, {
    urls: ["redis://127.0.0.1:16379"],
    cluster: false,
    prefix: "im:",
  });
  assertEquals([defaults.kafka.replicationFactor, defaults.kafka.minInsyncReplicas], [1, 1]);
  assertEquals(loadConfig({ IM_REDIS_CLUSTER: "true" }, "connect").cluster.redis.cluster, true);
  for (
    const [name, env] of [
      ["IM_REDIS_CLUSTER", { IM_REDIS_CLUSTER: "yes" }],
      ["IM_REDIS_URL", { IM_REDIS_URL: "redis://r1:7000,r2:7001" }],
    ] as const
  ) {
    const error = assertThrows(() => loadConfig(env));
    assertEquals(error instanceof ConfigError && error.message.includes(name), true, error.message);
  }
});
