/**
 * The few assertions the tests use, on `node:assert/strict` (std is on JSR, which this project
 * cannot reach): real values are compared, with node's diff when they differ.
 */

import nodeAssert from "node:assert/strict";
import { inspect } from "node:util";

/** Fails unless `condition` is truthy. */
export function assert(condition: unknown, message?: string): asserts condition {
  // Without a message node would quote this line, not the caller's.
  nodeAssert.ok(condition, message ?? `expected a truthy value, got ${inspect(condition)}`);
}

/** Deep strict equality (`undefined` properties, prototypes, Sets, Maps and bigints count). */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  try {
    nodeAssert.deepStrictEqual(actual, expected);
  } catch (error) {
    // A message given to node replaces its diff; keep both.
    if (message !== undefined && error instanceof Error) {
      error.message = `${message}\n${error.message}`;
    }
    throw error;
  }
}

/** Awaits a rejection, optionally of a class, and returns the error. */
export async function assertRejects(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  type?: new (...args: any[]) => Error,
): Promise<Error> {
  let caught: unknown;
  await nodeAssert.rejects(async () => {
    try {
      await fn();
    } catch (error) {
      caught = error;
      throw error;
    }
  }, type ?? (() => true));
  return caught as Error;
}

/** Expects a synchronous throw and returns the error. */
export function assertThrows(fn: () => unknown): Error {
  let caught: unknown;
  nodeAssert.throws(() => {
    try {
      fn();
    } catch (error) {
      caught = error;
      throw error;
    }
  });
  return caught as Error;
}
