/** Trace context: W3C traceparents, spans of a trace, and the active trace across awaits. */
import { match as assertMatch, notEqual as assertNotEquals } from "node:assert/strict";
import { assert, assertEquals } from "../tests/assert.ts";
import { currentTrace, parseTraceparent, startSpan, withTrace } from "./trace.ts";

const PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

Deno.test("parseTraceparent() reads a W3C traceparent and formats it back", () => {
  assertEquals(parseTraceparent(PARENT), {
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    spanId: "00f067aa0ba902b7",
    traceparent: PARENT,
  });
  // Not sampled (flags 00): the same ids; ours always go on as sampled.
  assertEquals(
    parseTraceparent(PARENT.replace(/01$/, "00"))?.traceparent,
    PARENT,
  );
});

Deno.test("parseTraceparent() ignores what is not a valid traceparent", () => {
  for (
    const value of [
      undefined,
      null,
      42,
      "",
      "garbage",
      PARENT.toUpperCase(),
      PARENT.replace(/^00/, "ff"),
      `00-${"0".repeat(32)}-00f067aa0ba902b7-01`,
      `00-4bf92f3577b34da6a3ce929d0e0e4736-${"0".repeat(16)}-01`,
      `${PARENT}-extra`,
      PARENT.slice(0, -1),
      ["an array", PARENT],
    ]
  ) {
    assertEquals(parseTraceparent(value), null, String(value));
  }
});

Deno.test("startSpan(): a child keeps its parent's trace id with a span id of its own", () => {
  const child = startSpan("store", { parent: PARENT, kind: "consumer" });
  assertEquals(child.traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
  assertNotEquals(child.spanId, "00f067aa0ba902b7");
  assertMatch(child.traceparent, /^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
  assertEquals(parseTraceparent(child.traceparent)?.spanId, child.spanId);
  child.end();
  child.end(new Error("a second end does nothing"));
  // A malformed parent starts a new trace, never an error.
  const fresh = startSpan("send", { parent: "not-a-traceparent" });
  assertMatch(fresh.traceId, /^[0-9a-f]{32}$/);
  assertNotEquals(fresh.traceId, child.traceId);
  // No parent given: the current trace's child.
  withTrace(parseTraceparent(PARENT), () => {
    assertEquals(startSpan("accept").traceId, child.traceId);
  });
});

Deno.test("startSpan() with parent null starts a new trace, even within another", () => {
  const outer = parseTraceparent(PARENT)!;
  withTrace(outer, () => {
    const root = startSpan("store", { parent: null, kind: "consumer" });
    assertMatch(root.traceId, /^[0-9a-f]{32}$/);
    assertNotEquals(root.traceId, outer.traceId);
    assertNotEquals(startSpan("store", { parent: null }).traceId, root.traceId, "each its own");
    // undefined is still "the current trace, else a new one".
    assertEquals(startSpan("accept", { parent: undefined }).traceId, outer.traceId);
    root.end();
  });
});

Deno.test("withTrace() sets the current trace for everything it runs, across awaits and timers", async () => {
  assertEquals(currentTrace(), undefined);
  const first = parseTraceparent(PARENT)!;
  const second = startSpan("other");
  const seen: (string | undefined)[] = [];
  // The second runs its part first, whatever the timers' order on a busy machine: the first
  // waits for it (across an await), then for a timer of its own.
  let secondDone!: () => void;
  const secondRan = new Promise<void>((resolve) => secondDone = resolve);
  await Promise.all([
    withTrace(first, async () => {
      await secondRan;
      await new Promise((resolve) => setTimeout(resolve, 1));
      seen.push(currentTrace()?.traceId);
      queueMicrotask(() => seen.push(currentTrace()?.traceId));
      await Promise.resolve();
    }),
    withTrace(second, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      seen.push(currentTrace()?.traceId);
      secondDone();
    }),
  ]);
  assertEquals(seen, [second.traceId, first.traceId, first.traceId]);
  assertEquals(currentTrace(), undefined, "nothing left behind");
  // No trace: runs as it is.
  assertEquals(withTrace(null, () => currentTrace()), undefined);
  assert(withTrace(undefined, () => true));
});
