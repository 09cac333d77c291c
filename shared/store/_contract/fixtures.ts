/** What the store's contract suites share: opening a store per test, ids, a clock and users. */
import type { NewSession, Store, UserRow } from "../mod.ts";

/**
 * Opens a fresh, empty store. The port under test is the matching field, which
 * may be a decorator; the other ports make the rows it refers to (users, groups).
 */
export type OpenStore = () => Promise<Store>;

/** Options of a suite run. */
export interface SuiteOptions {
  /** Skips the suite (an engine that is not available). */
  ignore?: boolean;
}

/**
 * The time a suite hands to the store: the ports take every instant as an
 * argument, so a test moves this clock instead of sleeping.
 */
export class FakeClock {
  #now = Date.UTC(2026, 0, 1);

  now(): number {
    return this.#now;
  }

  advance(ms: number): void {
    this.#now += ms;
  }
}

let nextId = 1000;

/** A fresh snowflake-shaped id. */
export function id(): string {
  return String(++nextId);
}

/** A step of a suite: one criterion, checked on the suite's store and clock. */
export type Step = (store: Store, clock: FakeClock) => Promise<void>;

/**
 * Registers one `Deno.test` named `name` that opens one store and runs, as
 * steps in order, the criteria given to the returned function (while the module
 * loads). Opening an engine is the slow part, so the steps share it: each makes
 * rows of its own (fresh ids and names), and only the first may count on an
 * empty store.
 */
export function suite(
  name: string,
  open: OpenStore,
  { ignore = false }: SuiteOptions,
): (title: string, step: Step) => void {
  const steps: [string, Step][] = [];
  Deno.test({ name, ignore }, async (t) => {
    const store = await open();
    const clock = new FakeClock();
    try {
      for (const [title, step] of steps) await t.step(title, () => step(store, clock));
    } finally {
      await store.close();
    }
  });
  return (title, step) => void steps.push([title, step]);
}

/** Creates a user named `name` (by default a fresh one). */
export async function user(store: Store, name = `user${nextId + 1}`): Promise<UserRow> {
  return await store.accounts.createUser({
    id: id(),
    username: name,
    passwordHash: "h",
    nickname: name,
    createdAt: 1,
  });
}

/** The values of a set or list in sorted order, for answers whose order is not part of the contract. */
export async function sorted(values: Promise<Iterable<string>>): Promise<string[]> {
  return [...await values].sort();
}

/** A new session of `userId` under `tokenHash`, with a fresh id, made at 1. */
export function session(
  tokenHash: string,
  userId: string,
  expiresAt: number,
  userAgent = "",
): NewSession {
  return { id: id(), tokenHash, userId, createdAt: 1, expiresAt, userAgent };
}
