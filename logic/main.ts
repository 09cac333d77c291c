/** A logic process of a cluster: business rules behind gRPC, on PostgreSQL, Kafka, Redis and etcd. */
import { RedisDedupe } from "../shared/dedupe/redis.ts";
import { RedisRateLimiter } from "../shared/limiter/redis.ts";
import { configureLogging, logger } from "../shared/log.ts";
import { KafkaLog } from "../shared/message_log/kafka.ts";
import { Readiness, serveOps } from "../shared/ops_http.ts";
import { RedisPresence } from "../shared/presence/redis.ts";
import { configOrExit, stopOnSignal, stopWhenWorkerIdChanges } from "../shared/process.ts";
import { EtcdRegistry } from "../shared/registry/etcd.ts";
import { GrpcConnectClient } from "../shared/rpc/connect_grpc.ts";
import { ConnectPool } from "../shared/rpc/connect_pool.ts";
import { serveLogic } from "../shared/rpc/logic_grpc.ts";
import { Snowflake } from "../shared/snowflake.ts";
import { openPostgresStore } from "../shared/store/postgres.ts";
import { createLogic } from "./mod.ts";
import { connectRedis, pingRedis } from "../shared/redis.ts";

const config = configOrExit("logic");
const log = logger();
const { cluster } = config;
const registry = await EtcdRegistry.open(cluster.etcd);
const workerId = await registry.claimWorkerId();
const id = cluster.instanceId || `logic-${workerId}`;
configureLogging({ instance: id });
const store = await openPostgresStore(cluster.postgres);
const messageLog = await KafkaLog.open({ ...cluster.kafka, clientId: id });
const redis = connectRedis(cluster.redis.urls, { cluster: cluster.redis.cluster });
const prefix = cluster.redis.prefix;

/**
 * How long a typing push to a connect server may take: an indicator later than
 * this is worth nothing (the next keystroke sends another), so it is given up.
 */
const TYPING_PUSH_TIMEOUT_MS = 1000;

const ids = new Snowflake({ workerId });
// Never mint on a worker id whose claim may have lapsed; a re-claim may bring another id.
registry.watchWorkerId((claimed) => {
  log.warn(claimed === null ? "snowflake worker id withdrawn" : "snowflake worker id claimed", {
    workerId: claimed,
  });
  ids.setWorkerId(claimed);
});
if (!cluster.instanceId) stopWhenWorkerIdChanges(registry, workerId);
// Typing goes from here straight to the connect servers (never through the log):
// one client per live connect server, kept in step with the registry as task's are.
const connects = new ConnectPool({
  registry,
  client: (instance) =>
    new GrpcConnectClient({ address: instance.grpc, timeoutMs: TYPING_PUSH_TIMEOUT_MS }),
});
const logic = createLogic({
  store,
  log: messageLog,
  presence: new RedisPresence({ redis, prefix }),
  dedupe: new RedisDedupe({ redis, prefix }),
  limiter: new RedisRateLimiter({ redis, prefix }),
  ids,
  ...config.logic,
  connects,
});
// Each over a connection already open: the pool, the log's admin client, the Redis connection,
// the etcd client.
const ops = await serveOps({
  host: "0.0.0.0",
  port: config.metricsPort,
  advertiseHost: cluster.advertiseHost,
  readiness: new Readiness([
    { name: "PostgreSQL", check: () => store.ping() },
    { name: "Kafka", check: () => messageLog.ping() },
    { name: "Redis", check: () => pingRedis(redis) },
    { name: "etcd", check: () => registry.ping() },
  ]),
});
const server = await serveLogic(logic, { host: "0.0.0.0", port: cluster.grpcPort });
const address = `${cluster.advertiseHost}:${server.port}`;
await registry.register({ layer: "logic", id, grpc: address });
log.info(`gRPC on ${address}`, { workerId });

stopOnSignal(async () => {
  // Leave the registry first so callers stop choosing this instance, then drain calls in flight.
  await registry.close();
  // Drain rather than close: see RpcServer.close() on Deno and HTTP/2 GOAWAY.
  await server.drain();
  logic.close();
  connects.close();
  await messageLog.close();
  await store.close();
  redis.disconnect();
  await ops.shutdown();
});
