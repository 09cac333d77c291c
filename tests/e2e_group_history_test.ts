/** End-to-end: a group's `history` setting decides whether a new member reads what came before. */
import { assert, assertEquals } from "./assert.ts";
import { newUser, startServer, uniqueName } from "./harness.ts";

const server = await startServer();
globalThis.addEventListener("unload", () => void server.stop("SIGKILL"));
const url = server.url;
const opts = { sanitizeOps: false, sanitizeResources: false };

const text = (t: string) => ({ type: "text" as const, text: t });
/** What members said: the messages that are not the group's system lines. */
const said = <M extends { content: { type: string } }>(messages: M[]) =>
  messages.filter((m) => m.content.type !== "system");

Deno.test(
  "since_join (the default): a member reads from the seq at which they joined",
  opts,
  async () => {
    const owner = await newUser(url);
    const late = await newUser(url);
    try {
      const group = await owner.createGroup(uniqueName("hist"));
      assertEquals(group.history, "since_join");
      const to = { type: "group" as const, id: group.id };
      const conversationId = `g:${group.id}`;
      for (const t of ["before 1", "before 2", "before 3"]) await owner.send(to, text(t));
      // Stored (in a cluster the log sits in between) before the join.
      // Seq 1 is the `created` line; 2 to 4 what the owner said.
      await eventuallyEquals(async () => (await owner.history(conversationId)).length, 4);
      await late.joinGroup(group.id);
      // The joiner reads from their `joined` line (seq 5) on.
      const joined = await late.history(conversationId);
      assertEquals(joined.map((m) => [m.seq, m.content.type]), [[5, "system"]]);
      assertEquals(await late.history(conversationId, { before: 5 }), []);
      assertEquals(said(await late.history(conversationId, { after: 0 })), []);
      let summary = (await late.conversations()).find((c) => c.id === conversationId);
      assertEquals([summary?.readSeq, summary?.unread, summary?.lastMessage?.seq], [4, 0, 5]);
      await owner.send(to, text("after"));
      const seen = said(await late.history(conversationId, { after: 0 }));
      assertEquals(seen.map((m) => [m.seq, m.content]), [[6, text("after")]]);
      assertEquals((await late.history(conversationId, { before: 7 })).map((m) => m.seq), [5, 6]);
      summary = (await late.conversations()).find((c) => c.id === conversationId);
      assertEquals([summary?.unread, summary?.lastMessage?.seq], [1, 6]);
      // The owner and earlier members keep the whole history.
      assertEquals(said(await owner.history(conversationId)).length, 4);
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
    await eventuallyEquals(async () => said(await owner.history(conversationId)).length, 1);
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
    assertEquals(said(await member.history(conversationId)), []);
    const opened = await patch(owner, { history: "all" });
    assertEquals([opened.status, opened.body.group.history], [200, "all"]);
    await eventuallyEquals(async () => said(await member.history(conversationId)).length, 1);
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
