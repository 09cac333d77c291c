/** An api process of a cluster: the HTTP API, calling logic over gRPC, balancing clients over connect servers. */
import { addressMatcher } from "../shared/address_match.ts";
import { AppError } from "../shared/errors.ts";
import { serveHttp } from "../shared/http_server.ts";
import { configureLogging, logger } from "../shared/log.ts";
import { configOrExit, stopOnSignal } from "../shared/process.ts";
import { EtcdRegistry } from "../shared/registry/etcd.ts";
import { createGrpcLogicClient } from "../shared/rpc/logic_grpc.ts";
import { createApi, loadWebAssets } from "./mod.ts";

const config = configOrExit("api");
// api instances have no id of their own (nothing names them); the host and process do.
configureLogging({ instance: `api-${Deno.hostname()}-${Deno.pid}` });
const log = logger();
const { cluster } = config;
const registry = await EtcdRegistry.open(cluster.etcd);
const logic = createGrpcLogicClient({
  targets: () => registry.instances("logic").map((i) => i.grpc),
  timeoutMs: cluster.rpcTimeoutMs,
});
let next = 0;
const api = createApi({
  logic,
  connectUrl: () => {
    const servers = registry.instances("connect").filter((i) => i.url);
    if (servers.length === 0) throw new AppError("unavailable", "No connect server is registered");
    return servers[next++ % servers.length].url!;
  },
  ...config.api,
  web: await loadWebAssets(),
  // Connect servers and logic instances are found through etcd.
  metricsFrom: addressMatcher(config.http.metricsFrom),
  ready: [
    { name: "logic", check: () => logic.ready() },
    { name: "etcd", check: () => registry.ping() },
  ],
});
const server = await serveHttp({
  host: config.http.host,
  port: config.http.port,
  // No WebSockets here: every upgrade request gets 404.
  limits: config.http,
  handler: (request, address) => api.handle(request, address),
  onListen: ({ hostname, port }) => {
    log.info(`listening on http://${hostname}:${port}`);
    log.info(`metrics on http://${hostname}:${port}/metrics`);
  },
});

stopOnSignal(async () => {
  await server.shutdown();
  await registry.close();
});
