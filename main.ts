/**
 * The embedded mode: every layer in one process, wired through the in-process
 * adapters, with SQLite (node:sqlite) for storage. One port serves the HTTP API and `/ws`.
 */
import { addressMatcher } from "./shared/address_match.ts";
import farmhash from "farmhash";
import { createApi, loadWebAssets } from "./api/mod.ts";
import { type Connect, createConnect } from "./connect/mod.ts";
import { createLogic } from "./logic/mod.ts";
import { serveHttp } from "./shared/http_server.ts";
import { configureLogging, logger } from "./shared/log.ts";
import { configOrExit, stopOnSignal } from "./shared/process.ts";
import { MemoryDedupe } from "./shared/dedupe/memory.ts";
import { MemoryRateLimiter } from "./shared/limiter/memory.ts";
import { MemoryLog } from "./shared/message_log/memory.ts";
import { MemoryPresence } from "./shared/presence/memory.ts";
import { MemoryPresenceNotices } from "./shared/presence_notices/memory.ts";
import { MemoryStatusQueue } from "./shared/queue/memory.ts";
import { Snowflake } from "./shared/snowflake.ts";
import { withAuthorizationCache } from "./shared/store/authorization_cache.ts";
import { openEmbeddedStore } from "./shared/store/embedded.ts";
import { createTask } from "./task/mod.ts";

async function main(): Promise<void> {
  const config = configOrExit("embedded");
  configureLogging({ instance: config.serverId });
  const log = logger();

  if (!config.dataDir.startsWith("memory://")) {
    await Deno.mkdir(config.dataDir, { recursive: true });
  }
  // One logic owns every write here, so it may remember who may write where.
  const store = withAuthorizationCache(
    await openEmbeddedStore({
      dataDir: config.dataDir,
      synchronous: config.sqliteSynchronous,
      searchIndex: config.searchIndex,
      onConverted: ({ rows, ms, pgliteFiles }) =>
        log.info("converted the PGlite data to SQLite; the PGlite files may be removed", {
          ms,
          messages: rows.messages,
          users: rows.users,
          pgliteFiles,
        }),
    }),
  );
  const messageLog = new MemoryLog();
  const statusQueue = new MemoryStatusQueue();
  const presence = new MemoryPresence();
  const dedupe = new MemoryDedupe();
  const limiter = new MemoryRateLimiter();

  // The one connect server, for task's pushes and logic's typing. Logic is made
  // before connect (which calls it), and looks connect up only when typing comes.
  const local: { connect?: Connect } = {};
  const connects = {
    connectServers: () => [config.serverId],
    connect: (serverId: string) =>
      serverId === config.serverId ? local.connect?.service : undefined,
  };
  const logic = createLogic({
    store,
    log: messageLog,
    presence,
    dedupe,
    limiter,
    ids: new Snowflake({ workerId: config.workerId }),
    ...config.logic,
    connects,
  });
  const connect = createConnect({
    logic,
    presence,
    statusQueue,
    serverId: config.serverId,
    hash: (userId) => farmhash.hash32(userId),
    ...config.connect,
  });
  local.connect = connect;
  const task = createTask({
    log: messageLog,
    statusQueue,
    store,
    presence,
    notices: new MemoryPresenceNotices(),
    presenceGraceMs: config.presenceGraceMs,
    connects,
    searchIndexer: true,
  });
  const api = createApi({
    logic,
    connectUrl: () => "/ws",
    ...config.api,
    web: await loadWebAssets(),
    // Every layer is in this process: only the store can fail to answer.
    ready: [{ name: "the store", check: () => store.ping() }],
    metricsFrom: addressMatcher(config.http.metricsFrom),
  });

  const server = await serveHttp({
    host: config.http.host,
    port: config.http.port,
    limits: config.http,
    handler: (request, address) =>
      new URL(request.url).pathname === "/ws"
        ? connect.notAnUpgrade()
        : api.handle(request, address),
    webSockets: {
      frameBytes: config.connect.frameBytes,
      upgrade: (request, address) =>
        new URL(request.url).pathname === "/ws"
          ? connect.upgrade(request, address)
          : { refuse: new Response("No WebSocket here", { status: 404 }) },
    },
    onListen: ({ hostname, port }) => {
      log.info(`listening on http://${hostname}:${port}`, { dataDir: config.dataDir });
      log.info(`metrics on http://${hostname}:${port}/metrics`);
    },
  });

  stopOnSignal(async () => {
    await connect.close();
    await server.shutdown();
    await task.close();
    logic.close();
    await Promise.all([dedupe.close(), limiter.close(), presence.close()]);
    await store.close();
  });
}

await main();
