/**
 * Trace propagation in a cluster: the trace a client puts on its `send` frame is in the log lines
 * of every process on the message's way — the sender's connect (`send received`), a logic
 * (`message accepted`), a task (`message stored`, `message pushed`) and the recipient's connect,
 * another server (`push delivered`). Needs `deno task infra:up`; runs when IM_CLUSTER_TESTS=1.
 */
import { assert, assertEquals } from "./assert.ts";
import { eventually, friendPair, TEST_ENV, waitFor } from "./harness.ts";
import { clusterTestsEnabled, startIsolatedCluster } from "./infra.ts";
import { linesOfTrace, sendTraced } from "./_traced_send.ts";

Deno.test({
  name: "cluster: one message's trace id is in the lines of connect, logic, task and the push",
  ignore: !clusterTestsEnabled(),
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const cluster = await startIsolatedCluster({
    ...TEST_ENV,
    IM_LOG_LEVEL: "debug",
    IM_LOG_FORMAT: "json",
  });
  try {
    const [a, b] = await friendPair(cluster.url);
    const processOf = (name: string) => {
      const found = cluster.processes.find((p) => p.name === name);
      assert(found, `no process ${name}`);
      return found;
    };
    // The sender's socket on the connect server the recipient is not on.
    const recipientPort = processOf(b.serverId).env.IM_HTTP_PORT;
    let url = "";
    for (let i = 0; i < 50 && !url; i++) {
      const candidate = await a.connectUrl();
      if (new URL(candidate).port !== recipientPort) url = candidate;
    }
    assert(url, "the api hands out both connect servers");

    const text = `traced ${crypto.randomUUID()}`;
    const arrived = waitFor(
      b,
      "message",
      (m) => m.content.type === "text" && m.content.text === text,
    );
    const sent = await sendTraced(a, b.self!.id, text, url);
    await arrived;
    assert(sent.serverId !== b.serverId, "sender and recipient on two connect servers");

    /** The lines of the trace, by process name, once each wanted line is there. */
    const wanted: [layer: string, message: string][] = [
      ["connect", "send received"],
      ["logic", "message accepted"],
      ["task", "message stored"],
      ["task", "message pushed"],
      ["connect", "push delivered"],
    ];
    const byProcess = await eventually(() => {
      const lines = new Map(
        cluster.processes.map((p) => [p.name, linesOfTrace(p.output.join(""), sent.traceId)]),
      );
      const all = [...lines.values()].flat();
      return wanted.every(([, message]) => all.some((l) => l.message === message)) ? lines : null;
    }, 15_000);
    const where = (message: string) =>
      [...byProcess].filter(([, lines]) => lines.some((l) => l.message === message))
        .map(([name]) => name);

    assertEquals(where("send received"), [sent.serverId], "the sender's connect");
    assert(where("push delivered").includes(b.serverId), "the recipient's connect");
    const [logic] = where("message accepted");
    assert(logic?.startsWith("logic-"), `message accepted in ${logic}`);
    const [task] = where("message stored");
    assert(task?.startsWith("task-"), `message stored in ${task}`);
    assertEquals(where("message pushed"), [task], "pushed by the task that stored it");

    // Each line says its layer, and the message's id where it applies.
    for (const [name, lines] of byProcess) {
      for (const line of lines) {
        assertEquals(line.layer, processOf(name).layer, `${name}: ${JSON.stringify(line)}`);
        assertEquals(line.instance, name);
        if (line.messageId !== undefined) assertEquals(line.messageId, sent.messageId);
      }
    }
    for (const process of cluster.processes) {
      assert(!process.output.join("").includes(text), `${process.name} wrote the message's text`);
    }
    await Promise.all([a.close(), b.close()]);
  } finally {
    await cluster.stop();
  }
});
