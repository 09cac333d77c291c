/**
 * Blocking in logic, on the real store: the block list, its errors, what a
 * blocked user can no longer do (friend requests, private messages, typing, the
 * blocker's presence) and how unblocking gives it all back. Nothing the blocked
 * user is told names the block.
 */
import { assert, assertEquals, assertRejects } from "../tests/assert.ts";
import { MemoryDedupe } from "../shared/dedupe/memory.ts";
import { AppError } from "../shared/errors.ts";
import { MemoryRateLimiter } from "../shared/limiter/memory.ts";
import { MemoryPresence } from "../shared/presence/memory.ts";
import type { ConnectDirectory, PushItem } from "../shared/rpc/connect.ts";
import { withAuthorizationCache } from "../shared/store/authorization_cache.ts";
import type { Store } from "../shared/store/mod.ts";
import { privateConversationId, type ServerFrame } from "../shared/types.ts";
import { presenceShownTo } from "./presence_shown.ts";
import { TYPING_WINDOW_MS } from "./typing.ts";
import { stepsOnOneStore, testLogic } from "./_test_logic.ts";
import { freshId, StoringLog } from "./_test_world.ts";

/**
 * A logic on `store` whose log stores messages and keeps every record, with
 * presence, a clock the test moves, and one connect server `c1` that records
 * typing pushes.
 */
function setUp(store: Store) {
  let time = Date.UTC(2026, 11, 1);
  const log = new StoringLog(store.messages);
  const presence = new MemoryPresence();
  const dedupe = new MemoryDedupe();
  const limiter = new MemoryRateLimiter();
  const pushed: PushItem[] = [];
  const connects: ConnectDirectory = {
    connectServers: () => ["c1"],
    connect: (serverId) =>
      serverId === "c1"
        ? {
          push: (items) => Promise.resolve(void pushed.push(...items)),
          kick: () => Promise.resolve(),
        }
        : undefined,
  };
  const logic = testLogic({
    store,
    log,
    presence,
    dedupe,
    limiter,
    connects,
    now: () => time,
  });
  let clientMsgId = 0;
  return {
    logic,
    log,
    presence,
    pushed,
    later: (ms: number) => void (time += ms),
    async user(): Promise<string> {
      const id = freshId();
      await store.accounts.createUser({
        id,
        username: `b${id}`,
        passwordHash: "x",
        nickname: id,
        createdAt: time,
      });
      return id;
    },
    async friends(a: string, b: string): Promise<void> {
      await store.friends.add(a, b, time);
    },
    /** A text from `from` to user `to`. */
    send(from: string, to: string) {
      return logic.send(from, {
        to: { type: "user", id: to },
        clientMsgId: `m${++clientMsgId}`,
        content: { type: "text", text: "hi" },
      });
    },
    /** The events appended from record `since` on, as (user, frame) pairs. */
    events(since = 0): [string, ServerFrame][] {
      return log.records.slice(since).flatMap((r) =>
        r.type === "event" ? r.userIds.map((u) => [u, r.frame] as [string, ServerFrame]) : []
      );
    },
    async [Symbol.asyncDispose]() {
      logic.close();
      await Promise.all([dedupe.close(), limiter.close(), presence.close()]);
    },
  };
}

/** The refusal `promise` ends in: its code and message. */
async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await assertRejects(() => promise, AppError) as AppError;
  return { code: error.code, message: error.message };
}

const test = stepsOnOneStore("blocking");

test("block() lists the blocked latest first; twice is fine; unblock() takes one off, twice too", async (store) => {
  await using t = setUp(store);
  const [me, first, second] = [await t.user(), await t.user(), await t.user()];
  await t.logic.block(me, first);
  t.later(1);
  await t.logic.block(me, second);
  t.later(1);
  await t.logic.block(me, first);
  assertEquals((await t.logic.blocks(me)).map((u) => u.id), [second, first]);
  assertEquals(await t.logic.blocks(me), [
    { id: second, username: `b${second}`, nickname: second, avatar: null },
    { id: first, username: `b${first}`, nickname: first, avatar: null },
  ]);
  assertEquals(await t.logic.blocks(first), [], "a block is one way");

  await t.logic.unblock(me, second);
  await t.logic.unblock(me, second);
  assertEquals((await t.logic.blocks(me)).map((u) => u.id), [first]);
});

test("blocking or unblocking yourself is invalid_argument; an unknown user not_found", async (store) => {
  await using t = setUp(store);
  const me = await t.user();
  for (const call of [t.logic.block, t.logic.unblock]) {
    assertEquals((await refusal(call(me, me))).code, "invalid_argument");
    assertEquals(await refusal(call(me, "999999999999")), {
      code: "not_found",
      message: `Cannot ${call === t.logic.block ? "block" : "unblock"} user "999999999999": ` +
        "no such user",
    });
    assertEquals((await refusal(call(me, "not-an-id"))).code, "not_found");
  }
  assertEquals(await t.logic.blocks(me), []);
});

test("a friend request to the blocker is forbidden, and does not accept the blocker's own", async (store) => {
  await using t = setUp(store);
  const [blocker, blocked] = [await t.user(), await t.user()];
  // The blocker asked first: without the rule, the blocked user's request would accept it.
  await t.logic.requestFriend(blocker, { userId: blocked });
  await t.logic.block(blocker, blocked);
  const refused = await refusal(t.logic.requestFriend(blocked, { userId: blocker }));
  assertEquals(refused, {
    code: "forbidden",
    message: `Cannot send a friend request to "${blocker}": not accepting your requests`,
  });
  assert(!/block/i.test(refused.message), "the text does not name the block");
  assert(!await store.friends.areFriends(blocker, blocked));

  // The other way round is untouched, and unblocking lets the request through.
  await t.logic.unblock(blocker, blocked);
  assert("friend" in await t.logic.requestFriend(blocked, { userId: blocker }));
  assert(await store.friends.areFriends(blocker, blocked));
});

test("block() deletes the blocked user's pending request to the blocker, telling no one", async (store) => {
  await using t = setUp(store);
  const [blocker, blocked, other] = [await t.user(), await t.user(), await t.user()];
  await t.logic.requestFriend(blocked, { userId: blocker });
  await t.logic.requestFriend(other, { userId: blocker });
  const before = t.log.records.length;
  await t.logic.block(blocker, blocked);
  const incoming = (await t.logic.friendRequests(blocker)).incoming;
  assertEquals(incoming.map((r) => r.from.id), [other]);
  assertEquals((await t.logic.friendRequests(blocked)).outgoing, []);
  assertEquals(t.events(before), [], "a rejected request is not announced either");
});

test("a private message to the blocker is forbidden with the text a stranger gets", async (store) => {
  await using t = setUp(store);
  const [blocker, blocked, stranger] = [await t.user(), await t.user(), await t.user()];
  await t.friends(blocker, blocked);
  await t.send(blocked, blocker);
  await t.logic.block(blocker, blocked);
  const sent = t.log.appended.length;

  const text = `Cannot send to user "${blocker}": not a friend, or not accepting your messages`;
  assertEquals(await refusal(t.send(blocked, blocker)), { code: "forbidden", message: text });
  assertEquals(await refusal(t.send(stranger, blocker)), { code: "forbidden", message: text });
  // Several at once go through the batch's one query, and are refused alike.
  const outcomes = await t.logic.sendMany(blocked, [
    {
      to: { type: "user", id: blocker },
      clientMsgId: "many1",
      content: { type: "text", text: "a" },
    },
    {
      to: { type: "user", id: blocker },
      clientMsgId: "many2",
      content: { type: "text", text: "b" },
    },
  ]);
  assertEquals(outcomes, [
    { error: { code: "forbidden", message: text } },
    { error: { code: "forbidden", message: text } },
  ]);
  assertEquals(t.log.appended.length, sent, "nothing refused reached the log");

  // The blocker still writes to the blocked, and the friendship stays on both sides.
  await t.send(blocker, blocked);
  assert(await store.friends.areFriends(blocker, blocked));
  assertEquals((await t.logic.friends(blocked)).map((f) => f.user.id), [blocker]);
  assertEquals((await t.logic.friends(blocker)).map((f) => f.user.id), [blocked]);

  await t.logic.unblock(blocker, blocked);
  const result = await t.send(blocked, blocker);
  assertEquals(result.conversationId, privateConversationId(blocked, blocker));
});

test("typing to the blocker is dropped silently; it reaches them again once unblocked", async (store) => {
  await using t = setUp(store);
  const [blocker, blocked] = [await t.user(), await t.user()];
  await t.friends(blocker, blocked);
  await t.presence.connect(blocker, "c1", "c1:1");
  await t.logic.block(blocker, blocked);
  const conversationId = privateConversationId(blocker, blocked);
  await t.logic.typing(blocked, conversationId);
  assertEquals(t.pushed, []);

  await t.logic.unblock(blocker, blocked);
  t.later(TYPING_WINDOW_MS);
  await t.logic.typing(blocked, conversationId);
  assertEquals(t.pushed.map((p) => "userIds" in p && p.userIds), [[blocker]]);
});

test("the blocker's presence is hidden from the blocked: user(), friends(), and presenceShownTo()", async (store) => {
  await using t = setUp(store);
  const [blocker, blocked, other, stranger] = [
    await t.user(),
    await t.user(),
    await t.user(),
    await t.user(),
  ];
  await t.friends(blocker, blocked);
  await t.friends(blocker, other);
  await t.friends(blocked, other);
  await t.presence.connect(blocker, "c1", "c1:1");
  await t.logic.block(blocker, blocked);

  const view = { id: blocker, username: `b${blocker}`, nickname: blocker, avatar: null };
  assertEquals(await t.logic.user(blocked, blocker), { user: view });
  assertEquals(await t.logic.friends(blocked), [
    { user: view, online: false },
    { user: (await t.logic.user(other, other)).user, online: false },
  ]);
  // Others still see it, and the blocker still sees the blocked user's.
  assertEquals(await t.logic.user(other, blocker), {
    user: { ...view, lastSeenAt: null },
    online: true,
  });
  assert("online" in await t.logic.user(blocker, blocked));
  // For member lists: oneself and friends, less those who blocked the viewer.
  assertEquals(
    await presenceShownTo(store, blocked, [blocker, other, blocked, stranger]),
    new Set([other, blocked]),
  );
  assertEquals(
    await presenceShownTo(store, other, [blocker, blocked]),
    new Set([blocker, blocked]),
  );

  await t.logic.unblock(blocker, blocked);
  assertEquals(await t.logic.user(blocked, blocker), {
    user: { ...view, lastSeenAt: null },
    online: true,
  });
  assertEquals((await t.logic.friends(blocked))[0], {
    user: { ...view, lastSeenAt: null },
    online: true,
  });
  assertEquals(await presenceShownTo(store, blocked, [blocker]), new Set([blocker]));
});

test("block() and unblock() tell a blocked friend the blocker's presence as they now see it", async (store) => {
  await using t = setUp(store);
  const [blocker, blocked, stranger] = [await t.user(), await t.user(), await t.user()];
  await t.friends(blocker, blocked);
  await t.presence.connect(blocker, "c1", "c1:1");

  let since = t.log.records.length;
  await t.logic.block(blocker, blocked);
  await t.logic.block(blocker, blocked);
  await t.logic.block(blocker, stranger);
  assertEquals(t.events(since), [[blocked, { op: "presence", userId: blocker, online: false }]]);

  since = t.log.records.length;
  await t.logic.unblock(blocker, blocked);
  await t.logic.unblock(blocker, blocked);
  await t.logic.unblock(blocker, stranger);
  assertEquals(t.events(since), [[blocked, { op: "presence", userId: blocker, online: true }]]);

  // Offline meanwhile: unblocking tells when the blocker was last seen.
  await t.logic.block(blocker, blocked);
  await t.presence.disconnect(blocker, "c1", "c1:1");
  const left = Date.UTC(2026, 11, 2);
  await store.accounts.recordLastSeen(blocker, left);
  since = t.log.records.length;
  await t.logic.unblock(blocker, blocked);
  assertEquals(t.events(since), [[blocked, {
    op: "presence",
    userId: blocker,
    online: false,
    lastSeenAt: left,
  }]]);
});

test("in the embedded mode a friend pair the send path remembered is refused once blocked", async (store) => {
  await using t = setUp(withAuthorizationCache(store));
  const [blocker, blocked] = [await t.user(), await t.user()];
  await t.friends(blocker, blocked);
  await t.send(blocked, blocker);
  await t.logic.block(blocker, blocked);
  assertEquals(await refusal(t.send(blocked, blocker)), {
    code: "forbidden",
    message: `Cannot send to user "${blocker}": not a friend, or not accepting your messages`,
  });
  await t.logic.unblock(blocker, blocked);
  await t.send(blocked, blocker);
});
