/**
 * Typing alone: who it is relayed to, through which connect servers, what is
 * refused, and that it reads the store only (through the reads it may use) and
 * never writes it or the message log.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../shared/config.ts";
import { MemoryDedupe } from "../shared/dedupe/memory.ts";
import { AppError } from "../shared/errors.ts";
import { MemoryRateLimiter } from "../shared/limiter/memory.ts";
import type { MessageLog } from "../shared/message_log/mod.ts";
import { MemoryPresence } from "../shared/presence/memory.ts";
import type { ConnectDirectory, PushItem } from "../shared/rpc/connect.ts";
import { Snowflake } from "../shared/snowflake.ts";
import { createContext, type LogicStore } from "./context.ts";
import { typing, TYPING_WINDOW_MS } from "./typing.ts";

const config = loadConfig({});
const GROUP_MAX = config.logic.limits.typingGroupMax;

/** The store reads typing may make; any other call to the store fails the test. */
const READS = new Set([
  "friends.pairs",
  "friends.areFriends",
  "accounts.users",
  "accounts.disabledUsers",
  "groups.senders",
  "groups.get",
]);

/** A store of users, friendships and groups (id → members and member count) that records each call. */
function fakeStore(
  { users, friends, groups }: {
    users: string[];
    friends: [string, string][];
    groups: Record<
      string,
      {
        members: string[];
        count: number;
        muted?: boolean;
        admins?: string[];
        mutedUntil?: Record<string, number>;
      }
    >;
  },
) {
  const calls: string[] = [];
  const befriended = (a: string, b: string) =>
    friends.some(([x, y]) => (x === a && y === b) || (x === b && y === a));
  const ports: Record<string, Record<string, (...args: never[]) => unknown>> = {
    friends: {
      areFriends: (a: string, b: string) => Promise.resolve(befriended(a, b)),
      pairs: (pairs: readonly (readonly [string, string])[]) =>
        Promise.resolve(
          new Set(
            pairs.filter(([a, b]) => befriended(a, b)).map(([a, b]) => `${a}:${b}`),
          ),
        ),
    },
    accounts: {
      users: (ids: string[]) => Promise.resolve(ids.filter((id) => users.includes(id))),
      disabledUsers: () => Promise.resolve(new Set()),
    },
    groups: {
      senders: (pairs: readonly (readonly [string, string])[]) =>
        Promise.resolve(
          new Map(
            pairs.filter(([g, u]) => groups[g]?.members.includes(u)).map(([g, u]) => [
              `${g}:${u}`,
              {
                role: groups[g].admins?.includes(u) ? "admin" : "member",
                mutedUntil: groups[g].mutedUntil?.[u] ?? null,
                groupMuted: groups[g].muted ?? false,
              },
            ]),
          ),
        ),
      get: (id: string) =>
        Promise.resolve(groups[id] ? { id, memberCount: groups[id].count } : null),
    },
  };
  const store = new Proxy({}, {
    get: (_, port: string) =>
      new Proxy({}, {
        get: (_, method: string) => {
          calls.push(`${port}.${method}`);
          const fn = ports[port]?.[method];
          if (!fn || !READS.has(`${port}.${method}`)) {
            throw new Error(`typing called store.${port}.${method}`);
          }
          return fn;
        },
      }),
  }) as unknown as LogicStore;
  return { store, calls };
}

/** A message log that fails the test if anything is appended. */
const NO_LOG: MessageLog = {
  append: () => Promise.reject(new Error("typing appended to the message log")),
  consume: () => {},
  ping: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

/**
 * Typing on a fake store: users 1–5 (1 and 2 friends, 1 and 3 friends), group 10 of
 * 1, 2 and 3, group 11 of GROUP_MAX members and group 12 of one more, each with 1;
 * connect servers c1 (user 3 online) and c2 (user 2 online).
 */
async function setUp() {
  let now = 1_000_000;
  const { store, calls } = fakeStore({
    users: ["1", "2", "3", "4", "5"],
    friends: [["1", "2"], ["1", "3"]],
    groups: {
      "10": { members: ["1", "2", "3"], count: 3 },
      "11": { members: ["1", "2"], count: GROUP_MAX },
      "12": { members: ["1", "2"], count: GROUP_MAX + 1 },
      // A muted group where 1 is an admin, and group 14 where 2 is muted until 1 min from the start.
      "13": { members: ["1", "2"], count: 2, muted: true, admins: ["1"] },
      "14": { members: ["1", "2"], count: 2, mutedUntil: { "2": now + 60_000 } },
    },
  });
  const pushed = new Map<string, PushItem[][]>([["c1", []], ["c2", []]]);
  const connects: ConnectDirectory = {
    connectServers: () => [...pushed.keys()],
    connect: (serverId) => {
      const calls = pushed.get(serverId);
      return calls && {
        push: (items) => Promise.resolve(void calls.push(items)),
        kick: () => Promise.reject(new Error("typing kicked")),
      };
    },
  };
  const presence = new MemoryPresence();
  await presence.connect("3", "c1", "c1:1");
  await presence.connect("2", "c2", "c2:1");
  const dedupe = new MemoryDedupe();
  const limiter = new MemoryRateLimiter();
  const { typing: type } = typing(createContext({
    store,
    log: NO_LOG,
    presence,
    dedupe,
    limiter,
    ids: new Snowflake({ workerId: 1 }),
    ...config.logic,
    connects,
    now: () => now,
  }));
  return {
    type,
    pushed,
    calls,
    presence,
    later: (ms: number) => now += ms,
    /** Every item pushed so far, by server, and forgets them. */
    take(): Record<string, PushItem[]> {
      const out = Object.fromEntries([...pushed].map(([id, calls]) => [id, calls.flat()]));
      for (const calls of pushed.values()) calls.length = 0;
      return out;
    },
    async close() {
      await Promise.all([dedupe.close(), limiter.close(), presence.close()]);
    },
  };
}

const frame = (conversationId: string, userId: string) =>
  JSON.stringify({ op: "typing", conversationId, userId });

Deno.test("typing() in a private chat goes to the peer's connect servers only, naming the peer only", async () => {
  const env = await setUp();
  try {
    await env.type("1", "u:1:2");
    assert.deepEqual(env.take(), {
      c1: [],
      c2: [{ userIds: ["2"], frame: frame("u:1:2", "1") }],
    });
    await env.type("2", "u:1:2");
    assert.deepEqual(env.take(), { c1: [], c2: [] }, "user 1 is not online");
    await env.presence.connect("1", "c1", "c1:2");
    await env.presence.connect("1", "c2", "c2:2");
    env.later(TYPING_WINDOW_MS);
    await env.type("2", "u:1:2");
    assert.deepEqual(env.take(), {
      c1: [{ userIds: ["1"], frame: frame("u:1:2", "2") }],
      c2: [{ userIds: ["1"], frame: frame("u:1:2", "2") }],
    }, "every server holding the peer");
  } finally {
    await env.close();
  }
});

Deno.test("typing() relays once per 2 s per user and conversation and drops the rest silently", async () => {
  const env = await setUp();
  try {
    await env.type("1", "u:1:2");
    env.later(TYPING_WINDOW_MS - 1);
    await env.type("1", "u:1:2");
    await env.type("1", "g:10");
    assert.deepEqual(env.take(), {
      c1: [{ groupId: "10", frame: frame("g:10", "1"), except: "1" }],
      c2: [{ userIds: ["2"], frame: frame("u:1:2", "1") }, {
        groupId: "10",
        frame: frame("g:10", "1"),
        except: "1",
      }],
    }, "the repeat dropped; another conversation is counted apart");
    env.later(1);
    await env.type("1", "u:1:2");
    assert.equal(env.take().c2.length, 1, "relayed again 2 s after the first");
  } finally {
    await env.close();
  }
});

Deno.test("typing() in a group goes to every connect server as one group item without the typist", async () => {
  const env = await setUp();
  try {
    await env.type("2", "g:10");
    const item = { groupId: "10", frame: frame("g:10", "2"), except: "2" };
    assert.deepEqual(env.take(), { c1: [item], c2: [item] });
    const groupCalls = env.calls.filter((call) => call.startsWith("groups."));
    assert.deepEqual(groupCalls, ["groups.senders", "groups.get"], "no member list read");
    env.calls.length = 0;
    await env.type("3", "g:10");
    assert.deepEqual(
      env.calls.filter((call) => call.startsWith("groups.")),
      ["groups.senders"],
      "the group's size is remembered",
    );
  } finally {
    await env.close();
  }
});

Deno.test("typing() is relayed in a group of typingGroupMax members and not in a larger one", async () => {
  const env = await setUp();
  try {
    assert.equal(GROUP_MAX, 500);
    await env.type("1", "g:11");
    assert.equal(env.take().c1.length, 1);
    await env.type("1", "g:12");
    assert.deepEqual(env.take(), { c1: [], c2: [] });
  } finally {
    await env.close();
  }
});

Deno.test("typing() of a member who may not send is dropped silently: muted, or a plain member of a muted group", async () => {
  const env = await setUp();
  try {
    await env.type("2", "g:13");
    assert.deepEqual(env.take(), { c1: [], c2: [] }, "a plain member of a muted group");
    await env.type("1", "g:13");
    assert.equal(env.take().c1.length, 1, "an admin of a muted group");
    await env.type("2", "g:14");
    assert.deepEqual(env.take(), { c1: [], c2: [] }, "a member muted for a minute");
    env.later(60_000 + TYPING_WINDOW_MS);
    await env.type("2", "g:14");
    assert.equal(env.take().c1.length, 1, "once the mute ended");
  } finally {
    await env.close();
  }
});

Deno.test("typing() to a conversation the user is not in is refused as a send would be, and relays nothing", async () => {
  const env = await setUp();
  try {
    const refusals: [string, string, string][] = [
      ["1", "u:2:3", "forbidden"], // Not a participant.
      ["1", "u:1:4", "forbidden"], // Not a friend.
      ["1", "u:1:99", "not_found"], // No such user.
      ["1", "u:2:1", "not_found"], // Not the conversation's id (its users out of order).
      ["1", "u:1:1", "not_found"],
      ["4", "g:10", "forbidden"], // Not a member.
      ["1", "g:404", "not_found"],
      ["1", "g:01", "not_found"],
      ["1", "x:1", "not_found"],
      ["1", "", "not_found"],
    ];
    for (const [userId, conversationId, code] of refusals) {
      const error = await env.type(userId, conversationId).then(() => null, (e) => e);
      assert.ok(error instanceof AppError, `${userId} in "${conversationId}"`);
      assert.equal(error.code, code, `${userId} in "${conversationId}"`);
    }
    // A member whose group's size is remembered does not make a stranger a member.
    await env.type("1", "g:10");
    env.take();
    await assert.rejects(env.type("5", "g:10"), { code: "forbidden" });
    assert.deepEqual(env.take(), { c1: [], c2: [] });
  } finally {
    await env.close();
  }
});

Deno.test("typing() reads the store only through its authorization reads, and never writes it or the log", async () => {
  const env = await setUp();
  try {
    await env.type("1", "u:1:2");
    await env.type("1", "u:1:3");
    await env.type("2", "g:10");
    await env.type("1", "g:12");
    await env.type("1", "u:1:4").catch(() => {});
    await env.type("4", "g:10").catch(() => {});
    assert.ok(env.calls.length > 0);
    assert.deepEqual(env.calls.filter((call) => !READS.has(call)), []);
  } finally {
    await env.close();
  }
});
