/** The contract suite of the MessageLog port, run once per implementation. */
import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { eventually } from "../../tests/harness.ts";
import { currentTrace, parseTraceparent, withTrace } from "../trace.ts";
import type { AcceptedMessage } from "../types.ts";
import type { LogRecord, MessageLog } from "./mod.ts";

function record(conversationId: string, n: number): LogRecord {
  const message: AcceptedMessage = {
    id: String(1000 + n),
    conversationId,
    from: "1",
    to: { type: "user", id: "2" },
    content: { type: "text", text: String(n) },
    sentAt: n,
    clientMsgId: `c${n}`,
  };
  return { type: "message", message };
}

const text = (r: LogRecord) =>
  r.type === "message" && r.message.content.type === "text" ? r.message.content.text : "";

/** Runs the MessageLog contract against logs made by `open`. */
export function testMessageLog(
  name: string,
  open: () => Promise<MessageLog>,
  { ignore = false }: { ignore?: boolean } = {},
): void {
  Deno.test(
    { name: `${name}: records of one key are consumed in append order`, ignore },
    async () => {
      const log = await open();
      const seen: string[] = [];
      log.consume((batch) => {
        seen.push(...batch.map(text));
        return Promise.resolve();
      });
      await Promise.all([
        log.append([record("a", 1), record("a", 2)]),
        log.append([record("b", 3)]),
        log.append([record("a", 4)]),
      ]);
      await eventually(() => seen.length === 4, 20_000);
      assertEquals(seen.filter((t) => t !== "3"), ["1", "2", "4"]);
      await log.close();
    },
  );

  Deno.test(
    { name: `${name}: a batch whose handler throws is handed over again`, ignore },
    async () => {
      const log = await open();
      let calls = 0;
      const seen: string[] = [];
      log.consume((batch) => {
        if (calls++ === 0) return Promise.reject(new Error("store down"));
        seen.push(...batch.map(text));
        return Promise.resolve();
      });
      await log.append([record("a", 1)]);
      await eventually(() => seen.length === 1, 20_000);
      assertEquals(seen, ["1"]);
      assert(calls >= 2);
      await log.close();
    },
  );

  Deno.test(
    { name: `${name}: the handler runs outside the appenders' traces`, ignore },
    async () => {
      const log = await open();
      const traces: (string | undefined)[] = [];
      log.consume((batch) => {
        for (const _ of batch) traces.push(currentTrace()?.traceId);
        return Promise.resolve();
      });
      // A traced append that finds the consumer idle, an untraced one at once, one later.
      const sender = parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
      await Promise.all([
        withTrace(sender, () => log.append([record("a", 1)])),
        log.append([record("b", 2)]),
      ]);
      await log.append([record("b", 3)]);
      await eventually(() => traces.length === 3, 20_000);
      assertEquals(traces, [undefined, undefined, undefined]);
      await log.close();
    },
  );

  Deno.test(
    { name: `${name}: append() after close() is refused with unavailable`, ignore },
    async () => {
      const log = await open();
      await log.close();
      await assertRejects(() => log.append([record("a", 1)]));
    },
  );
}
