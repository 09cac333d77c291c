/**
 * End-to-end (embedded): the trace a client puts on its `send` frame is in every log line of the
 * message's way, with the message's id and conversation where they apply: connect's `send
 * received`, logic's `message accepted`, task's `message stored` and `message pushed`, and the
 * recipient's connection's `push delivered`. The cluster's is tests/cluster_trace_test.ts.
 */
import { assert, assertEquals } from "./assert.ts";
import { e2eMode, eventually, friendPair, startServer, waitFor } from "./harness.ts";
import { linesOfTrace, sendTraced } from "./_traced_send.ts";

Deno.test({
  name: "trace: one message's trace id is in its lines from send received to push delivered",
  // Only the embedded server's lines are at hand here; a cluster's are in its processes.
  ignore: e2eMode() === "cluster",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const server = await startServer({ env: { IM_LOG_LEVEL: "debug", IM_LOG_FORMAT: "json" } });
  try {
    const [a, b] = await friendPair(server.url);
    const text = `traced ${crypto.randomUUID()}`;
    const arrived = waitFor(
      b,
      "message",
      (m) => m.content.type === "text" && m.content.text === text,
    );
    const sent = await sendTraced(a, b.self!.id, text);
    await arrived;
    const wanted = [
      "send received",
      "message accepted",
      "message stored",
      "message pushed",
      "push delivered",
    ];
    const lines = await eventually(() => {
      const ours = linesOfTrace(server.output.join(""), sent.traceId);
      const names = new Set(ours.map((line) => line.message));
      return wanted.every((name) => names.has(name)) ? ours : null;
    });
    const line = (message: string) => lines.find((l) => l.message === message)!;
    for (const name of ["message accepted", "message stored", "message pushed"]) {
      assertEquals(
        [line(name).messageId, line(name).conversationId],
        [sent.messageId, sent.conversationId],
        name,
      );
    }
    assertEquals(line("push delivered").conversationId, sent.conversationId);
    assertEquals(line("message stored").seq, 1);
    assert((line("push delivered").connections as number) >= 1);
    // Debug lines, all of them, and not one holds the text.
    assert(lines.every((l) => l.level === "debug"));
    assert(!server.output.join("").includes(text), "the message's text was written");
    await Promise.all([a.close(), b.close()]);
  } finally {
    await server.stop();
  }
});
