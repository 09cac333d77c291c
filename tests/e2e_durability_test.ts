/** End-to-end: what was accepted survives kill -9; SIGTERM closes sockets with 1001 and data survives. */
import { assertEquals } from "./assert.ts";
import { ImClient } from "../client/mod.ts";
import {
  befriend,
  collect,
  eventually,
  newUser,
  roundTrip,
  startServer,
  waitFor,
} from "./harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const text = (t: string) => ({ type: "text" as const, text: t });

Deno.test(
  "a message acknowledged with sent survives kill -9; the next one gets the next seq",
  opts,
  async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "im-durable-" });
    let server = await startServer({ dataDir });
    const a = await newUser(server.url);
    const b = await newUser(server.url, { connect: false });
    await befriend(a, b);
    const to = { type: "user" as const, id: (await b.me()).id };
    await a.send(to, text("first"));
    const sent = await a.send(to, text("acknowledged, then crash"));
    const status = await server.stop("SIGKILL");
    assertEquals(status?.signal, "SIGKILL");
    await a.close();

    server = await startServer({ dataDir });
    try {
      const reader = new ImClient({ baseUrl: server.url, token: b.token });
      const history = await reader.history(sent.conversationId);
      assertEquals(history.map((m) => [m.seq, m.id]), [[1, history[0].id], [2, sent.id]]);
      const writer = new ImClient({ baseUrl: server.url, token: a.token });
      await writer.connect();
      const got = collect(writer, "message");
      // A retry of a send from before the crash gets its first answer (from the store: the dedupe keys were in memory).
      const retried = await writer.send(to, text("a retry, changed"), sent.clientMsgId);
      assertEquals(retried.id, sent.id);
      await writer.send(to, text("after restart"));
      // The group's `created` line may come too; the text is what this waits for.
      await eventually(() => got.some((m) => m.content.type === "text"));
      assertEquals(got[0].seq, 3);
      assertEquals((await reader.history(sent.conversationId)).length, 3);
      await writer.close();
    } finally {
      await server.stop("SIGKILL");
    }
  },
);

Deno.test(
  "SIGTERM closes sockets with 1001 and the store cleanly; everything is there after restart",
  opts,
  async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "im-graceful-" });
    let server = await startServer({ dataDir });
    const a = await newUser(server.url, { autoAck: true });
    const b = await newUser(server.url, { connect: false });
    await befriend(a, b);
    const group = await a.createGroup("survivors", [(await b.me()).id]);
    const got = collect(a, "message");
    await a.send({ type: "group", id: group.id }, text("persist me"));
    // The group's `created` line may come too; the text is what this waits for.
    await eventually(() => got.some((m) => m.content.type === "text"));
    // Let the SDK's ack reach the server first: a frame still in flight when the process
    // exits makes the kernel reset the connection, and Deno's client then reports code 0
    // instead of the 1001 it was sent (seen with a bare Deno server too). The ack went out
    // when the message was delivered, so a round trip after it means the server read it.
    await roundTrip(a);
    const closed = waitFor(a, "closed");
    const status = await server.stop("SIGTERM");
    assertEquals((await closed).code, 1001);
    assertEquals(status?.code, 0);
    assertEquals(/"message":"stopped"/.test(server.output.join("")), true);
    await a.close();

    server = await startServer({ dataDir });
    try {
      const again = new ImClient({ baseUrl: server.url, token: b.token });
      assertEquals((await again.friends()).length, 1);
      assertEquals((await again.groups()).map((g) => g.group.name), ["survivors"]);
      assertEquals((await again.history(`g:${group.id}`)).map((m) => m.content), [
        { type: "system", event: "created", by: a.self!.id },
        text("persist me"),
      ]);
    } finally {
      await server.stop("SIGKILL");
    }
  },
);
