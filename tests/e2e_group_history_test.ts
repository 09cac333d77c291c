/** End-to-end: a group's `history` setting decides whether a new member reads what came before. */
import { assert, assertEquals } from "./assert.ts";
import { newUser, startServer, uniqueName } from "./harness.ts";
import type { Content } from "../shared/types.ts";

const server = await startServer();
globalThis.addEventListener("unload", () => void server.stop("SIGKILL"));
const url = server.url;
const opts = { sanitizeOps: false, sanitizeResources: false };

const text = (t: string) => ({ type: "text" as const, text: t });

Deno.test(
  "since_join (the default): a member reads from the seq at which they joined (their `joined` line)",
  opts,
  async () => {
    const owner = await newUser(url);
    const late = await newUser(url);
    try {
      const group = await owner.createGroup(uniqueName("hist"));
      assertEquals(group.history, "since_join");
      const to = { type: "group" as const, id: group.id };
      const conversationId = `g:${group.id}`;
      // Seq 1 is the group's `created` line; the texts are 2, 3 and 4.
      for (const t of ["before 1", "before 2", "before 3"]) await owner.send(to, text(t));
      // Stored (in a cluster the log sits in between) before the join.
      await eventuallyEquals(async () => (await owner.history(conversationId)).length, 4);
      await late.joinGroup(group.id);
      const joined: Content = {
        type: "system",
        event: "joined",
        userId: late.self!.id,
        by: late.self!.id,
      };
      await eventuallyEquals(
        async () => (await late.history(conversationId)).map((m) => [m.seq, m.content]),
        [[5, joined]],
      );
      assertEquals(await late.history(conversationId, { before: 5 }), []);
      assertEquals(
        (await late.history(conversationId, { after: 0 })).map((m) => m.seq),
        [5],
      );
      let summary = (await late.conversations()).find((c) => c.id === conversationId);
      assertEquals([summary?.unread, summary?.lastMessage?.seq], [0, 5]);
      assert(summary!.readSeq >= 4, `readSeq ${summary!.readSeq}`);
      await owner.send(to, text("after"));
      await eventuallyEquals(
        async () => (await late.history(conversationId, { after: 0 })).map((m) => m.seq),
        [5, 6],
      );
      const seen = await late.history(conversationId, { after: 5 });
      assertEquals(seen.map((m) => [m.seq, m.content]), [[6, text("after")]]);
      assertEquals((await late.history(conversationId, { before: 7 })).map((m) => m.seq), [5, 6]);
      summary = (await late.conversations()).find((c) => c.id === conversationId);
      assertEquals([summary?.unread, summary?.lastMessage?.seq], [1, 6]);
      // The owner and earlier members keep the whole history.
      assertEquals((await owner.history(conversationId)).length, 6);
    } finally {
      owner.close();
      late.close();
    }
  },
);

Deno.test(
  "history: the owner opens the past to every member; others may not; bad values are refused",
  opts,
  async () => {
    const owner = await newUser(url, { connect: false });
    const member = await newUser(url, { connect: false });
    const group = await owner.createGroup(uniqueName("hist"));
    const conversationId = `g:${group.id}`;
    await owner.postMessage({ type: "group", id: group.id }, text("old"), crypto.randomUUID());
    // Seq 1 is the `created` line, 2 the text, 3 the member's `joined` line.
    await eventuallyEquals(async () => (await owner.history(conversationId)).length, 2);
    await member.joinGroup(group.id);
    const patch = (client: typeof owner, body: unknown) =>
      fetch(`${url}/api/groups/${group.id}`, {
        method: "PATCH",
        headers: { authorization: `Bearer ${client.token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, body: await r.json() }));
    const refused = await patch(member, { history: "all" });
    assertEquals([refused.status, refused.body.error.code], [403, "forbidden"]);
    const bad = await patch(owner, { history: "everything" });
    assertEquals([bad.status, bad.body.error.code], [400, "invalid_argument"]);
    await eventuallyEquals(
      async () => (await member.history(conversationId)).map((m) => m.seq),
      [3],
    );
    const opened = await patch(owner, { history: "all" });
    assertEquals([opened.status, opened.body.group.history], [200, "all"]);
    // Everything, and the `policy` line that opened it.
    await eventuallyEquals(
      async () => (await member.history(conversationId)).map((m) => m.seq),
      [1, 2, 3, 4],
    );
    assertEquals((await member.group(group.id)).group.history, "all");
    // Created open from the start.
    const created = await fetch(`${url}/api/groups`, {
      method: "POST",
      headers: { authorization: `Bearer ${owner.token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "open past", history: "all" }),
    });
    assertEquals((await created.json()).group.history, "all");
  },
);

async function eventuallyEquals<T>(read: () => Promise<T>, expected: T) {
  for (let i = 0; i < 50; i++) {
    if (JSON.stringify(await read()) === JSON.stringify(expected)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert(false, `never became ${JSON.stringify(expected)}`);
}
