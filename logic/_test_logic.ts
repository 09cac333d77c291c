/** A logic for unit tests: memory ports, a fast KDF and no send limit, each replaceable. */
import { loadConfig } from "../shared/config.ts";
import { MemoryDedupe } from "../shared/dedupe/memory.ts";
import { MemoryRateLimiter } from "../shared/limiter/memory.ts";
import type { MessageLog } from "../shared/message_log/mod.ts";
import { MemoryPresence } from "../shared/presence/memory.ts";
import { Snowflake } from "../shared/snowflake.ts";
import type { Store } from "../shared/store/mod.ts";
import { openSqliteStore } from "../shared/store/sqlite.ts";
import { createLogic, type Logic, type LogicOptions } from "./mod.ts";

const config = loadConfig({ IM_SCRYPT_COST: "1024" });

/** The default limits, for tests that change one. */
export const LIMITS = config.logic.limits;

/** A message log that takes every append and hands nothing on. */
export const NULL_LOG: MessageLog = {
  append: () => Promise.resolve(),
  consume: () => {},
  ping: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

/**
 * One id generator per worker id for the whole test process: logics made one
 * after another within a millisecond (the steps of one store) would otherwise
 * mint the same first ids, and the store refuses a second message with an id.
 */
const generators = new Map<number, Snowflake>();

/** The process's generator of `workerId` (see {@link generators}). */
export function testIds(workerId: number): Snowflake {
  let ids = generators.get(workerId);
  if (!ids) generators.set(workerId, ids = new Snowflake({ workerId }));
  return ids;
}

/**
 * A logic on `options.store`; what else `options` gives replaces the default. A
 * test that keeps timers alive passes its own dedupe and limiter to close them.
 */
export function testLogic(
  options: Partial<LogicOptions> & Pick<LogicOptions, "store">,
): Logic {
  return createLogic({
    log: NULL_LOG,
    presence: new MemoryPresence(),
    dedupe: new MemoryDedupe(),
    limiter: new MemoryRateLimiter(),
    ids: testIds(1),
    limits: config.logic.limits,
    auth: config.logic.auth,
    send: { rate: 1e6, burst: 1e6 },
    ...options,
  });
}

/**
 * Registers one `Deno.test` named `name` that opens one in-memory store and runs,
 * as steps in order, the cases given to the returned function while the module
 * loads (opening a store is the slow part; each case makes rows of its own).
 */
export function stepsOnOneStore(
  name: string,
): (title: string, fn: (store: Store) => Promise<void>) => void {
  const cases: [string, (store: Store) => Promise<void>][] = [];
  Deno.test(name, async (t) => {
    const store = await openSqliteStore({ dataDir: "memory://" });
    try {
      for (const [title, fn] of cases) await t.step(title, () => fn(store));
    } finally {
      await store.close();
    }
  });
  return (title, fn) => void cases.push([title, fn]);
}
