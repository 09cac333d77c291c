/** A task process of a cluster: consumes Kafka and the Redis status queue, stores, pushes over gRPC. */
import { KafkaLog } from "../shared/message_log/kafka.ts";
import { dropServerRoutes } from "../shared/presence/gone.ts";
import { RedisPresence } from "../shared/presence/redis.ts";
import { configOrExit, stopOnSignal } from "../shared/process.ts";
import { RedisStatusQueue } from "../shared/queue/redis.ts";
import { EtcdRegistry } from "../shared/registry/etcd.ts";
import { GrpcConnectClient } from "../shared/rpc/connect_grpc.ts";
import { ConnectPool } from "../shared/rpc/connect_pool.ts";
import { openPostgresStore } from "../shared/store/postgres.ts";
import { createTask } from "./mod.ts";
import { connectRedis } from "../shared/redis.ts";

const config = configOrExit("task");
const { cluster } = config;
const id = cluster.instanceId || `task-${Deno.hostname()}-${Deno.pid}`;
const registry = await EtcdRegistry.open(cluster.etcd);
const redis = connectRedis(cluster.redis.url);
const prefix = cluster.redis.prefix;
const presence = new RedisPresence({ redis, prefix });
const statusQueue = new RedisStatusQueue({ redis, prefix, consumerId: id });
const store = await openPostgresStore({ ...cluster.postgres, searchIndex: config.searchIndex });
const log = await KafkaLog.open({ ...cluster.kafka, clientId: id });

const connects = new ConnectPool({
  registry,
  client: (instance) =>
    new GrpcConnectClient({ address: instance.grpc, timeoutMs: cluster.rpcTimeoutMs }),
  // A connect server whose lease expired is gone: its users are offline unless connected elsewhere.
  onRemoved: (serverId) => {
    dropServerRoutes(presence, statusQueue, serverId)
      .catch((error) => console.error(`im task ${id}: dropping routes of ${serverId}:`, error));
  },
});
// Routes of connect servers that died while no task ran are found by a sweep, a lease apart.
const task = createTask({
  log,
  statusQueue,
  store,
  presence,
  connects,
  sweepMs: (cluster.etcd.ttlSeconds + 1) * 1000,
  searchBacklog: true,
});
console.log(`im task ${id}: consuming ${cluster.kafka.topic} as ${cluster.kafka.groupId}`);

stopOnSignal(`task ${id}`, async () => {
  // Finish and commit the batch in progress, then let go of everything.
  await task.close();
  connects.close();
  await registry.close();
  await store.close();
  redis.disconnect();
});
