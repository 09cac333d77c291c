/** The few assertions the tests use (std is on JSR, which this project cannot reach). */

/** Fails unless `condition` is truthy. */
export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new Error(message);
}

/** Deep equality through JSON-like structure, with a readable diff. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  const a = JSON.stringify(actual, replacer);
  const e = JSON.stringify(expected, replacer);
  if (a !== e) throw new Error(`${message ?? "values differ"}\n  actual:   ${a}\n  expected: ${e}`);
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof Set) return [...value];
  if (value instanceof Map) return [...value.entries()];
  if (value instanceof Uint8Array) return [...value];
  if (value && typeof value === "object" && !Array.isArray(value)) {
    // Key order does not matter for equality.
    return Object.fromEntries(
      Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
  }
  return value;
}

/** Awaits a rejection, optionally of a class, and returns the error. */
export async function assertRejects(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  type?: new (...args: any[]) => Error,
): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    if (type && !(error instanceof type)) throw new Error(`expected ${type.name}, got ${error}`);
    return error as Error;
  }
  throw new Error("expected a rejection");
}

/** Expects a synchronous throw and returns the error. */
export function assertThrows(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a throw");
}
