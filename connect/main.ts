/** A connect process of a cluster: WebSocket sessions, pushed to by task over gRPC. */
import { dropServerRoutes } from "../shared/presence/gone.ts";
import farmhash from "farmhash";
import { AppError } from "../shared/errors.ts";
import { errorResponse } from "../shared/http_error.ts";
import { serveHttp } from "../shared/http_server.ts";
import { configureLogging, logger } from "../shared/log.ts";
import { opsResponse, Readiness } from "../shared/ops_http.ts";
import { RedisPresence } from "../shared/presence/redis.ts";
import { configOrExit, stopOnSignal, stopWhenWorkerIdChanges } from "../shared/process.ts";
import { RedisStatusQueue } from "../shared/queue/redis.ts";
import { EtcdRegistry } from "../shared/registry/etcd.ts";
import { serveConnect } from "../shared/rpc/connect_grpc.ts";
import { createGrpcLogicClient } from "../shared/rpc/logic_grpc.ts";
import { createConnect } from "./mod.ts";
import { connectRedis, pingRedis } from "../shared/redis.ts";
import { addressMatcher } from "../shared/address_match.ts";

const config = configOrExit("connect");
const log = logger();
const { cluster } = config;
const registry = await EtcdRegistry.open(cluster.etcd);
// Without a configured id, a claimed worker id names this server.
const workerId = cluster.instanceId ? null : await registry.claimWorkerId();
const id = cluster.instanceId || `connect-${workerId}`;
configureLogging({ instance: id });
if (workerId !== null) stopWhenWorkerIdChanges(registry, workerId);
const redis = connectRedis(cluster.redis.urls, { cluster: cluster.redis.cluster });
const prefix = cluster.redis.prefix;
const presence = new RedisPresence({ redis, prefix });
const statusQueue = new RedisStatusQueue({ redis, prefix, consumerId: id });
const logic = createGrpcLogicClient({
  targets: () => registry.instances("logic").map((i) => i.grpc),
  timeoutMs: cluster.rpcTimeoutMs,
});

const connect = createConnect({
  logic,
  presence,
  statusQueue,
  serverId: id,
  hash: (userId) => farmhash.hash32(userId),
  ...config.connect,
});

// A previous life of this server id may have left routes behind (a crash and a quick restart,
// inside the lease): its connections are gone, so its users are offline unless connected elsewhere.
// Before serving, so no route of this life is dropped with them.
await dropServerRoutes(presence, statusQueue, id);

// Routes and the status queue live in Redis: a PING on its connection (every master of a Cluster).
const metricsFrom = addressMatcher(config.http.metricsFrom);
const readiness = new Readiness([
  { name: "logic", check: () => logic.ready() },
  { name: "Redis", check: () => pingRedis(redis) },
]);
const logError = (error: unknown) => log.error("request failed", { error });
const http = await serveHttp({
  host: config.http.host,
  port: config.http.port,
  limits: config.http,
  handler: (request, address) => {
    const path = new URL(request.url).pathname;
    if (path === "/ws") return connect.notAnUpgrade();
    return opsResponse(path, readiness, metricsFrom(address)) ??
      errorResponse(new AppError("not_found", `No route ${path}`), logError);
  },
  webSockets: {
    frameBytes: config.connect.frameBytes,
    upgrade: (request, address) =>
      new URL(request.url).pathname === "/ws"
        ? connect.upgrade(request, address)
        : { refuse: errorResponse(new AppError("not_found", "No WebSocket here"), logError) },
  },
});
const rpc = await serveConnect(connect.service, { host: "0.0.0.0", port: cluster.grpcPort });

const url = cluster.publicWsUrl || `ws://${cluster.advertiseHost}:${http.port}/ws`;
const grpcAddress = `${cluster.advertiseHost}:${rpc.port}`;
await registry.register({ layer: "connect", id, grpc: grpcAddress, url });
// Registered again after a lapse: task took this server for gone and dropped its routes, though
// its sockets stayed open. Record them again, and once more after task has surely seen the lapse.
registry.watchReRegistered(() => {
  const restore = () =>
    connect.restoreRoutes().catch((error) => log.error("restoring routes failed", { error }));
  void restore();
  setTimeout(restore, (cluster.etcd.ttlSeconds + 1) * 1000);
});
log.info(`WebSocket on ${url}, gRPC on ${grpcAddress}`);
log.info(`metrics on http://${config.http.host}:${http.port}/metrics`);

stopOnSignal(async () => {
  await registry.close();
  await connect.close();
  await rpc.drain();
  await http.shutdown();
  redis.disconnect();
});
