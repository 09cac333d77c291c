/** LogicService over gRPC answers as the in-process one does, errors and bytes included, and fails over. */
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { PNG_2x3 } from "./harness.ts";
import { createLogic } from "../logic/mod.ts";
import { loadConfig } from "../shared/config.ts";
import { MemoryDedupe } from "../shared/dedupe/memory.ts";
import { AppError } from "../shared/errors.ts";
import { MemoryRateLimiter } from "../shared/limiter/memory.ts";
import { MemoryLog } from "../shared/log/memory.ts";
import { MemoryPresence } from "../shared/presence/memory.ts";
import { Snowflake } from "../shared/snowflake.ts";
import { openPgliteStore } from "../shared/store/pglite.ts";
import { createGrpcLogicClient, serveLogic } from "../shared/rpc/logic_grpc.ts";

Deno.test("LogicService over gRPC: results, protocol errors, media bytes, and failover to a live instance", async () => {
  const config = loadConfig({ IM_SCRYPT_COST: "1024" });
  const store = await openPgliteStore({ dataDir: "memory://" });
  const log = new MemoryLog();
  log.consume(() => Promise.resolve());
  const [dedupe, limiter] = [new MemoryDedupe(), new MemoryRateLimiter()];
  const logic = createLogic({
    store,
    log,
    presence: new MemoryPresence(),
    dedupe,
    limiter,
    ids: new Snowflake({ workerId: 1 }),
    limits: config.limits,
    auth: config.auth,
    send: config.send,
  });
  const a = await serveLogic(logic, { host: "127.0.0.1", port: 0 });
  const b = await serveLogic(logic, { host: "127.0.0.1", port: 0 });
  let live = [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`];
  const client = createGrpcLogicClient({ targets: () => live, timeoutMs: 2000 });
  try {
    const { user, token } = await client.register({
      username: "grpcuser",
      password: "correct horse",
    });
    assertEquals((await client.authenticate(token)).id, user.id);
    const error = await assertRejects(
      () => client.login({ username: "grpcuser", password: "wrong password" }),
      AppError,
    );
    assertEquals((error as AppError).code, "invalid_credentials");
    const unknown = await assertRejects(() => client.register({ username: "x" }), AppError);
    assertEquals((unknown as AppError).code, "invalid_argument");
    const media = await client.uploadMedia(user.id, PNG_2x3);
    assertEquals((await client.media(media.id)).bytes, PNG_2x3);

    await a.close();
    for (let i = 0; i < 4; i++) {
      assertEquals((await client.me(user.id)).id, user.id, "served by the live instance");
    }
    live = [`127.0.0.1:${a.port}`];
    const down = await assertRejects(() => client.me(user.id), AppError);
    assertEquals((down as AppError).code, "unavailable");
    live = [];
    assert(
      ((await assertRejects(() => client.ready(), AppError)) as AppError).message.includes(
        "No logic instance",
      ),
    );
  } finally {
    client.close();
    await b.close();
    await log.close();
    await dedupe.close();
    await limiter.close();
    await store.close();
  }
});
