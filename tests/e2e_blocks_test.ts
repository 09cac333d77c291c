/**
 * End-to-end: blocking (PROTOCOL.md, "Version 2 additions", Blocking): `PUT`/`DELETE`/`GET
 * /api/blocks`; a blocked user cannot send the blocker friend requests or private messages, and the
 * refusal reads exactly as a non-friend's does (it does not reveal the block); typing to the
 * blocker is dropped; the blocker's presence is hidden from the blocked user everywhere it shows
 * (events, the profile, the friend list, group member lists); the friendship survives, and
 * unblocking restores everything. Runs unchanged against a cluster.
 */
import { assert, assertEquals } from "./assert.ts";
import type { ImClient } from "../client/mod.ts";
import type { User } from "../shared/types.ts";
import { privateConversationId } from "../shared/types.ts";
import {
  befriend,
  collect,
  eventually,
  newUser,
  roundTrip,
  secondDevice,
  startServer,
  waitFor,
} from "./harness.ts";
import { answer, frames, ofOp, sleep } from "./_groups.ts";

// Offlines told at once: what is tested is who is told, not when (e2e_presence_coalesce_test.ts).
const server = await startServer({ env: { IM_PRESENCE_GRACE_MS: "0" } });
globalThis.addEventListener("unload", () => void server.stop("SIGKILL"));
const url = server.url;
const opts = { sanitizeOps: false, sanitizeResources: false };

const text = (t: string) => ({ type: "text" as const, text: t });
const idOf = (c: ImClient) => c.self!.id;
const block = (by: ImClient, whom: string) => answer(url, by.token, "PUT", `/api/blocks/${whom}`);
const unblock = (by: ImClient, whom: string) =>
  answer(url, by.token, "DELETE", `/api/blocks/${whom}`);
async function blocked(by: ImClient): Promise<User[]> {
  return (await by.request<{ users: User[] }>("GET", "/api/blocks")).users;
}

/** The refusal of a send, as `[code, message]`, over the WebSocket and over HTTP. */
async function refusals(from: ImClient, to: string): Promise<[string, string][]> {
  const target = { type: "user" as const, id: to };
  const ws = await from.send(target, text("hello?")).then(() => null, (e) => e);
  const http = await from.postMessage(target, text("hello?"), crypto.randomUUID())
    .then(() => null, (e) => e);
  return [ws, http].map((e) => e === null ? ["sent", ""] : [e.code, e.message]);
}

Deno.test(
  "blocks: PUT twice and DELETE twice are 204; the list is latest first; yourself invalid_argument, an unknown user not_found",
  opts,
  async () => {
    const me = await newUser(url, { connect: false });
    const [x, y] = [await newUser(url, { connect: false }), await newUser(url, { connect: false })];
    const [xId, yId] = [(await x.me()).id, (await y.me()).id];
    const self = await me.me();
    assertEquals(await blocked(me), []);
    assertEquals(await block(me, xId), [204, null]);
    assertEquals(await block(me, xId), [204, null], "blocking twice is fine");
    await sleep(5);
    assertEquals(await block(me, yId), [204, null]);
    const list = await blocked(me);
    assertEquals(list.map((u) => u.id), [yId, xId], "latest first");
    const { id, username, nickname, avatar } = await x.me();
    assertEquals(list[1], { id, username, nickname, avatar }, "user objects, nothing more");
    assertEquals(await blocked(x), [], "one's own list only");
    assertEquals(await block(me, self.id), [400, "invalid_argument"]);
    assertEquals(await unblock(me, self.id), [400, "invalid_argument"]);
    assertEquals(await block(me, "987654321987654"), [404, "not_found"]);
    assertEquals(await unblock(me, xId), [204, null]);
    assertEquals(await unblock(me, xId), [204, null], "unblocking one not blocked is fine");
    assertEquals((await blocked(me)).map((u) => u.id), [yId]);
    assertEquals(await answer(url, undefined, "GET", "/api/blocks"), [401, "unauthenticated"]);
    assertEquals(await answer(url, undefined, "PUT", `/api/blocks/${xId}`), [
      401,
      "unauthenticated",
    ]);
  },
);

Deno.test(
  "blocks: a blocked friend's private messages are refused with exactly the non-friend's text; the friendship stays; unblocking lets them through again",
  opts,
  async () => {
    const [a, b] = [await newUser(url), await newUser(url)];
    const stranger = await newUser(url);
    try {
      await befriend(a, b);
      const conversationId = privateConversationId(idOf(a), idOf(b));
      // Stored (its push has come back) before the block: history below must show it.
      const stored = waitFor(b, "message", (m) => m.conversationId === conversationId);
      await b.send({ type: "user", id: idOf(a) }, text("before the block"));
      await stored;
      assertEquals(await block(a, idOf(b)), [204, null]);
      const expected = `Cannot send to user "${
        idOf(a)
      }": not a friend, or not accepting your messages`;
      assertEquals(await refusals(b, idOf(a)), [["forbidden", expected], ["forbidden", expected]]);
      assertEquals(
        await refusals(stranger, idOf(a)),
        [["forbidden", expected], ["forbidden", expected]],
        "a non-friend gets the very same answer",
      );
      // Still friends, both ways; the blocker still reads the conversation.
      assert((await a.friends()).some((f) => f.user.id === idOf(b)));
      assert((await b.friends()).some((f) => f.user.id === idOf(a)));
      assertEquals((await b.history(conversationId)).length, 1);
      assertEquals(await unblock(a, idOf(b)), [204, null]);
      const got = waitFor(a, "message", (m) => m.conversationId === conversationId);
      await b.send({ type: "user", id: idOf(a) }, text("after the block"));
      assertEquals((await got).content, text("after the block"));
    } finally {
      await Promise.all([a.close(), b.close(), stranger.close()]);
    }
  },
);

Deno.test(
  "blocks: friend requests from the blocked user are forbidden without a word of the block; a pending one is dropped when the block is made; unblocking allows them again",
  opts,
  async () => {
    const [a, d, e] = [await newUser(url), await newUser(url), await newUser(url)];
    try {
      const pending = (await d.requestFriend(idOf(a), "let's talk")).request!;
      assertEquals((await a.friendRequests()).incoming.map((r) => r.id), [pending.id]);
      assertEquals(await block(a, idOf(d)), [204, null]);
      assertEquals((await a.friendRequests()).incoming, [], "the pending request is gone");
      assertEquals((await d.friendRequests()).outgoing, []);
      const refusal = await d.requestFriend(idOf(a)).then(() => null, (err) => err);
      assertEquals(refusal?.code, "forbidden");
      assert(!/block/i.test(refusal.message), `the refusal reveals the block: ${refusal.message}`);
      assert(!refusal.message.includes((await a.me()).username));
      assertEquals((await a.friendRequests()).incoming, []);
      // Someone not blocked still asks.
      assert((await e.requestFriend(idOf(a))).request);
      assertEquals(await unblock(a, idOf(d)), [204, null]);
      const again = await d.requestFriend(idOf(a));
      assert(again.request, "unblocked: a request goes through");
      await a.acceptFriend(again.request!.id);
      assert((await d.friends()).some((f) => f.user.id === idOf(a)));
    } finally {
      await Promise.all([a.close(), d.close(), e.close()]);
    }
  },
);

Deno.test(
  "blocks: typing from the blocked friend is dropped; after unblocking it is relayed",
  opts,
  async () => {
    const [a, b] = [await newUser(url), await newUser(url)];
    try {
      await befriend(a, b);
      const conversationId = privateConversationId(idOf(a), idOf(b));
      assertEquals(await block(a, idOf(b)), [204, null]);
      const typing = collect(a, "typing");
      b.rawSend(JSON.stringify({ op: "typing", conversationId }));
      await roundTrip(b);
      await sleep(500);
      await roundTrip(a);
      assertEquals(typing, []);
      assertEquals(await unblock(a, idOf(b)), [204, null]);
      // The 2 s rule: wait it out so the next frame is not dropped for its rate.
      await sleep(2100);
      const relayed = waitFor(a, "typing", (t) => t.conversationId === conversationId);
      b.rawSend(JSON.stringify({ op: "typing", conversationId }));
      assertEquals((await relayed).userId, idOf(b));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  },
);

Deno.test(
  "blocks: the blocker's presence is hidden from the blocked user (events, profile, friend list, member lists) and not from other friends; unblocking shows it again",
  opts,
  async () => {
    const [a, b, c] = [await newUser(url), await newUser(url), await newUser(url)];
    let a2: ImClient | null = null;
    try {
      await befriend(a, b);
      await befriend(a, c);
      await befriend(b, c);
      const group = await a.createGroup("presence", [idOf(b), idOf(c)]);
      assertEquals(await block(a, idOf(b)), [204, null]);
      // b sees no presence of a anywhere; c, another friend, does.
      const seenByB = frames(b);
      const profile = await b.request<Record<string, unknown>>("GET", `/api/users/${idOf(a)}`);
      assert(!("online" in profile), `online shown: ${JSON.stringify(profile)}`);
      assert(
        !("lastSeenAt" in (profile.user as object)),
        `lastSeenAt shown: ${JSON.stringify(profile)}`,
      );
      assertEquals((await b.friends()).find((f) => f.user.id === idOf(a))?.online, false);
      assertEquals((await c.friends()).find((f) => f.user.id === idOf(a))?.online, true);
      assertEquals((await c.user(idOf(a))).online, true);
      const inGroupForB = (await b.group(group.id)).members.find((m) => m.user.id === idOf(a));
      assert(inGroupForB && !("online" in inGroupForB), JSON.stringify(inGroupForB));
      assertEquals(
        (await c.group(group.id)).members.find((m) => m.user.id === idOf(a))?.online,
        true,
      );
      // a goes offline and comes back: c hears both, b neither.
      const offline = waitFor(c, "presence", (p) => p.userId === idOf(a) && !p.online);
      await a.close();
      await offline;
      assertEquals((await b.friends()).find((f) => f.user.id === idOf(a))?.online, false);
      const online = waitFor(c, "presence", (p) => p.userId === idOf(a) && p.online);
      a2 = await secondDevice(url, a);
      await online;
      await sleep(300);
      await roundTrip(b);
      // Nothing that shows a online or when a was last seen (an offline one, as if a had left,
      // reveals nothing).
      assertEquals(
        ofOp(seenByB, "presence").filter((p) =>
          p.userId === idOf(a) && (p.online || p.lastSeenAt !== undefined)
        ),
        [],
      );
      // The blocker still sees the blocked user's presence.
      assertEquals((await a2.friends()).find((f) => f.user.id === idOf(b))?.online, true);

      assertEquals(await unblock(a2, idOf(b)), [204, null]);
      assertEquals((await b.user(idOf(a))).online, true);
      assertEquals((await b.friends()).find((f) => f.user.id === idOf(a))?.online, true);
      assertEquals(
        (await b.group(group.id)).members.find((m) => m.user.id === idOf(a))?.online,
        true,
      );
      const goneAgain = waitFor(b, "presence", (p) => p.userId === idOf(a) && !p.online);
      await a2.close();
      a2 = null;
      await goneAgain;
      await eventually(async () => (await b.user(idOf(a))).user.lastSeenAt);
    } finally {
      await Promise.all([a.close(), b.close(), c.close(), a2?.close()]);
    }
  },
);
