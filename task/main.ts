/** A task process of a cluster: consumes Kafka and the Redis status queue, stores, pushes over gRPC. */
import { configureLogging, logger } from "../shared/log.ts";
import { KafkaLog } from "../shared/message_log/kafka.ts";
import { Readiness, serveOps } from "../shared/ops_http.ts";
import { dropServerRoutes } from "../shared/presence/gone.ts";
import { RedisPresence } from "../shared/presence/redis.ts";
import { RedisPresenceNotices } from "../shared/presence_notices/redis.ts";
import { configOrExit, stopOnSignal } from "../shared/process.ts";
import { RedisStatusQueue } from "../shared/queue/redis.ts";
import { EtcdRegistry } from "../shared/registry/etcd.ts";
import { GrpcConnectClient } from "../shared/rpc/connect_grpc.ts";
import { ConnectPool } from "../shared/rpc/connect_pool.ts";
import { openPostgresStore } from "../shared/store/postgres.ts";
import { createTask } from "./mod.ts";
import { connectRedis, pingRedis } from "../shared/redis.ts";

const config = configOrExit("task");
const { cluster } = config;
const id = cluster.instanceId || `task-${Deno.hostname()}-${Deno.pid}`;
configureLogging({ instance: id });
const log = logger();
const registry = await EtcdRegistry.open(cluster.etcd);
const redis = connectRedis(cluster.redis.urls, { cluster: cluster.redis.cluster });
const prefix = cluster.redis.prefix;
const presence = new RedisPresence({ redis, prefix });
const statusQueue = new RedisStatusQueue({ redis, prefix, consumerId: id });
const store = await openPostgresStore({ ...cluster.postgres, searchIndex: config.searchIndex });
const messageLog = await KafkaLog.open({ ...cluster.kafka, clientId: id });

const connects = new ConnectPool({
  registry,
  client: (instance) =>
    new GrpcConnectClient({ address: instance.grpc, timeoutMs: cluster.rpcTimeoutMs }),
  // A connect server whose lease expired is gone: its users are offline unless connected elsewhere.
  onRemoved: (serverId) => {
    dropServerRoutes(presence, statusQueue, serverId)
      .catch((error) =>
        log.error("dropping the routes of a gone connect server failed", {
          serverId,
          error,
        })
      );
  },
});
// Routes of connect servers that died while no task ran are found by a sweep, a lease apart.
const task = createTask({
  log: messageLog,
  statusQueue,
  store,
  presence,
  notices: new RedisPresenceNotices({ redis, prefix }),
  presenceGraceMs: config.presenceGraceMs,
  connects,
  sweepMs: (cluster.etcd.ttlSeconds + 1) * 1000,
  searchIndexer: true,
});
// Each over a connection already open: the pool, the log's admin client, the Redis connection,
// the etcd client.
const ops = await serveOps({
  host: "0.0.0.0",
  port: config.metricsPort,
  readiness: new Readiness([
    { name: "PostgreSQL", check: () => store.ping() },
    { name: "Kafka", check: () => messageLog.ping() },
    { name: "Redis", check: () => pingRedis(redis) },
    { name: "etcd", check: () => registry.ping() },
  ]),
});
// The line scripts/cluster.ts waits for: said once this consumer has joined its group.
await messageLog.joined(30_000);
log.info(`consuming ${cluster.kafka.topic} as ${cluster.kafka.groupId}`);

stopOnSignal(async () => {
  // Finish and commit the batch in progress, then let go of everything.
  await task.close();
  connects.close();
  await registry.close();
  await store.close();
  redis.disconnect();
  await ops.shutdown();
});
