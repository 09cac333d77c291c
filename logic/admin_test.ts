/** The admin tool's actions as a server applies them, over a real store. */
import { assertEquals, assertRejects } from "../tests/assert.ts";
import { AppError } from "../shared/errors.ts";
import { MemoryPresence } from "../shared/presence/memory.ts";
import type { AdminActionName, AdminActionRow, Store } from "../shared/store/mod.ts";
import { hashToken } from "../shared/token_hash.ts";
import { LIMITS, stepsOnOneStore, testIds } from "./_test_logic.ts";
import { world } from "./_test_world.ts";
import {
  ADMIN_CLAIM_STALE_MS,
  type AdminDeps,
  applyAdminAction,
  applyPendingAdminActions,
  MODERATOR,
  pollAdminActions,
} from "./admin.ts";
import { DISABLED_TTL_MS } from "./disabled_users.ts";
import { RECALL_CLAIM_MS, recallKey } from "./message_updates.ts";

const test = stepsOnOneStore("admin actions");
const PASSWORD = "correct horse battery";
const TEXT = { type: "text", text: "hello" };

/** A world whose admin actions apply through `deps`, with a registered user `name`. */
async function setUp(store: Store) {
  const t = world(store, { limits: { recallWindowS: 5 } });
  const presence = new MemoryPresence();
  const deps: AdminDeps = {
    store,
    log: t.log,
    presence,
    dedupe: t.dedupe,
    ids: testIds(1),
    now: () => t.clock.now,
  };
  const name = `adm${crypto.randomUUID().slice(0, 8)}`;
  const first = await t.logic.register({ username: name, password: PASSWORD });
  const second = await t.logic.login({ username: name, password: PASSWORD });
  /** Records an action as the tool does and applies every pending one; the row as it ends. */
  const run = async (
    action: AdminActionName,
    target: string,
    args: Record<string, unknown> = {},
  ): Promise<AdminActionRow> => {
    const row = await store.admin.record({ at: t.clock.now, actor: "ops", action, target, args });
    await applyPendingAdminActions(deps, "test");
    return (await store.admin.action(row.id))!;
  };
  const kicked = () => t.log.records.flatMap((r) => r.type === "kick" ? r.tokenHashes : []);
  const login = (password = PASSWORD) => t.logic.login({ username: name, password });
  return {
    t,
    deps,
    presence,
    name,
    user: first.user,
    tokens: [first.token, second.token],
    run,
    kicked,
    login,
  };
}

async function code(call: () => Promise<unknown>): Promise<string> {
  return ((await assertRejects(call, AppError)) as AppError).code;
}

test("disable ends every session, kicks its sockets and refuses sign-in to the right password only", async (store) => {
  const { t, user, tokens, run, kicked, login, name } = await setUp(store);
  await using _ = t;
  const row = await run("disable", user.id, { reason: "spam" });
  assertEquals([row.status, row.result, row.appliedBy], [
    "done",
    { userId: user.id, sessionsEnded: 2 },
    "test",
  ]);
  assertEquals(kicked().sort(), (await Promise.all(tokens.map(hashToken))).sort());
  for (const token of tokens) {
    assertEquals(await code(() => t.logic.authenticate(token)), "unauthenticated");
  }
  const refused = await assertRejects(() => login(), AppError);
  assertEquals([(refused as AppError).code, refused.message], [
    "forbidden",
    "This account is disabled",
  ]);
  assertEquals(await code(() => login("wrong password!")), "invalid_credentials");
  assertEquals(
    await code(() => t.logic.register({ username: name, password: PASSWORD })),
    "conflict",
  );
});

test("a disabled user's socket that was not kicked can no longer send, read or type", async (store) => {
  const { t, user, run } = await setUp(store);
  await using _ = t;
  const friend = await t.user();
  await t.friends(user.id, friend);
  const to = { type: "user", id: friend };
  const sent = await t.logic.sendMany(user.id, [{ to, clientMsgId: "a1", content: TEXT }]);
  assertEquals("result" in sent[0], true);
  assertEquals((await run("disable", user.id)).status, "done");
  // Known not disabled a moment ago: taken as such for DISABLED_TTL_MS at most.
  await t.clock.tick(DISABLED_TTL_MS);
  const refused = await assertRejects(
    () => t.logic.sendMany(user.id, [{ to, clientMsgId: "a2", content: TEXT }]),
    AppError,
  );
  assertEquals([(refused as AppError).code, refused.message], [
    "unauthenticated",
    "This account is disabled",
  ]);
  const conversationId = sent[0].result!.conversationId;
  for (
    const write of [
      () => t.logic.send(user.id, { to, clientMsgId: "a3", content: TEXT }),
      () => t.logic.read(user.id, { conversationId, seq: 1 }),
      () => t.logic.typing(user.id, conversationId),
    ]
  ) {
    assertEquals(await code(write), "unauthenticated");
  }
  assertEquals((await run("enable", user.id)).status, "done");
  await t.clock.tick(DISABLED_TTL_MS);
  await t.logic.read(user.id, { conversationId, seq: 1 });
});

test("enable lets a disabled account sign in again", async (store) => {
  const { t, user, run, login } = await setUp(store);
  await using _ = t;
  await run("disable", user.id);
  const row = await run("enable", user.id);
  assertEquals([row.status, row.result], ["done", { userId: user.id }]);
  const { token } = await login();
  assertEquals((await t.logic.authenticate(token)).id, user.id);
});

test("a sign-in that passed its checks as the account was disabled gets no session", async (store) => {
  const { t, user, name } = await setUp(store);
  await using _ = t;
  // The store as a logic sees it whose password check came just before the disable.
  const accounts = new Proxy(store.accounts, {
    get(target, key) {
      if (key === "credentials") {
        return async (username: string) => {
          const found = await target.credentials(username);
          await store.admin.disableUser(user.id, t.clock.now, null);
          return found;
        };
      }
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const racing = world({ ...store, accounts, admin: store.admin, messages: store.messages });
  await using __ = racing;
  const refused = await assertRejects(
    () => racing.logic.login({ username: name, password: PASSWORD }),
    AppError,
  );
  assertEquals([(refused as AppError).code, refused.message], [
    "forbidden",
    "This account is disabled",
  ]);
  assertEquals(await store.accounts.sessions(user.id, t.clock.now), []);
});

test("signout ends and kicks every session and leaves the account as it was", async (store) => {
  const { t, user, tokens, run, kicked, login } = await setUp(store);
  await using _ = t;
  const row = await run("signout", user.id);
  assertEquals(row.result, { userId: user.id, sessionsEnded: 2 });
  assertEquals(kicked().length, 2);
  for (const token of tokens) {
    assertEquals(await code(() => t.logic.authenticate(token)), "unauthenticated");
  }
  await login();
});

test("an unknown user or a malformed id fails the action with its error", async (store) => {
  const { t, run } = await setUp(store);
  await using _ = t;
  const unknown = await run("disable", "999999999999");
  assertEquals([unknown.status, unknown.result], [
    "failed",
    { code: "not_found", message: 'Cannot find user "999999999999"' },
  ]);
  const malformed = await run("signout", "x1");
  assertEquals([malformed.status, (malformed.result as { code: string }).code], [
    "failed",
    "invalid_argument",
  ]);
});

test("recall takes any message of any age as a moderator, once", async (store) => {
  const { t, run } = await setUp(store);
  await using _ = t;
  const [a, b] = [await t.user(), await t.user()];
  const group = await t.group(a, [b]);
  const sent = await t.say(b, { group }, "something to remove");
  await t.clock.tick(LIMITS.recallWindowS * 1000 + 60_000);
  const row = await run("recall", sent.id);
  assertEquals([row.status, row.result], [
    "done",
    { messageId: sent.id, conversationId: sent.conversationId, seq: sent.seq },
  ]);
  const entry = t.log.appended.at(-1)!;
  assertEquals([entry.from, entry.to, entry.conversationId], [b, sent.to, sent.conversationId]);
  assertEquals(
    (await store.messages.byId(sent.id))?.content,
    { type: "recalled", recalledBy: MODERATOR },
  );
  const history = await store.messages.history(sent.conversationId, { limit: 10 });
  assertEquals(
    history.find((m) => m.id === sent.id)?.content,
    { type: "recalled", recalledBy: MODERATOR },
  );
  // Again: the message is as the operator wants it, and the second action says so.
  assertEquals((await run("recall", sent.id)).result, row.result);
  assertEquals(t.log.appended.at(-1), entry);
  // A private message too, and the sender's own recall finds it recalled.
  await t.friends(a, b);
  const dm = await t.say(a, { user: b }, "hi");
  assertEquals((await run("recall", dm.id)).status, "done");
  assertEquals(await code(() => t.logic.recallMessage(a, dm.id)), "conflict");
  const update = t.log.appended.at(-1)!;
  assertEquals((await run("recall", update.id)).result, {
    code: "invalid_argument",
    message: `Cannot recall message "${update.id}": it is the server's record of a change`,
  });
  assertEquals((await run("recall", "123456789")).status, "failed");
  // One its sender recalled is theirs: a moderator's recall is a conflict then.
  const own = await t.say(a, { user: b }, "mine");
  await t.logic.recallMessage(a, own.id);
  const taken = await run("recall", own.id);
  assertEquals([taken.status, (taken.result as { code: string }).code], ["failed", "conflict"]);
});

test("a recall applied again after its applier died before finishing is done", async (store) => {
  const { t, deps, run } = await setUp(store);
  await using _ = t;
  const [a, b] = [await t.user(), await t.user()];
  const group = await t.group(a, [b]);
  /** Records a recall, and applies it as a process does that dies before it writes the outcome. */
  const dieAfterApplying = async (messageId: string) => {
    const row = await store.admin.record({
      at: t.clock.now,
      actor: "ops",
      action: "recall",
      target: messageId,
      args: {},
    });
    const now = t.clock.now;
    const claimed = await store.admin.claim("dead", now, now - ADMIN_CLAIM_STALE_MS);
    assertEquals(claimed?.id, row.id);
    await applyAdminAction(deps, claimed!);
    await t.clock.tick(ADMIN_CLAIM_STALE_MS + 1);
    return row;
  };
  const stored = await t.say(b, { group }, "stored before the retry");
  const first = await dieAfterApplying(stored.id);
  await applyPendingAdminActions(deps, "test");
  const retried = (await store.admin.action(first.id))!;
  assertEquals([retried.status, retried.appliedBy, retried.result], [
    "done",
    "test",
    { messageId: stored.id, conversationId: stored.conversationId, seq: stored.seq },
  ]);
  // The store has not caught up yet (task lags): the claim says a moderator recalled it.
  const lagging = await t.say(b, { group }, "not stored before the retry");
  t.log.storeLagMs = 50;
  const second = await dieAfterApplying(lagging.id);
  await applyPendingAdminActions(deps, "test");
  assertEquals((await store.admin.action(second.id))?.status, "done");
  await new Promise((resolve) => setTimeout(resolve, 100));
  assertEquals(
    (await store.messages.byId(lagging.id))?.content,
    { type: "recalled", recalledBy: MODERATOR },
  );
  // Claimed but never appended: the retry appends that very entry.
  t.log.storeLagMs = 0;
  const unsent = await t.say(b, { group }, "claimed, never appended");
  const claimedEntry = {
    id: "777777",
    conversationId: unsent.conversationId,
    from: unsent.from,
    to: unsent.to,
    content: {
      type: "update" as const,
      action: "recall" as const,
      target: { ...unsent, content: { type: "recalled" as const, recalledBy: MODERATOR } },
    },
    sentAt: t.clock.now,
    clientMsgId: null,
  };
  await deps.dedupe.claim(
    recallKey(unsent.id),
    JSON.stringify({ appended: false, entry: claimedEntry }),
    RECALL_CLAIM_MS,
  );
  assertEquals((await run("recall", unsent.id)).status, "done");
  assertEquals(t.log.appended.at(-1), claimedEntry);
});

test("counts counts users, groups, messages and who is online", async (store) => {
  const { t, presence, user, run } = await setUp(store);
  await using _ = t;
  const before = await store.admin.counts();
  await presence.connect(user.id, "s1", "c1");
  const row = await run("counts", "");
  assertEquals(row.result, { ...before, online: 1 });
});

test("the poll applies pending actions every tick until stopped", async (store) => {
  const { t, deps, user } = await setUp(store);
  await using _ = t;
  const record = () =>
    store.admin.record({ at: 1, actor: "ops", action: "signout", target: user.id, args: {} });
  const poll = pollAdminActions(deps, { everyMs: 20, by: "poller" });
  let row: AdminActionRow | null = null;
  try {
    const first = await record();
    for (let i = 0; i < 100 && row?.status !== "done"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      row = await store.admin.action(first.id);
    }
    assertEquals([row?.status, row?.appliedBy], ["done", "poller"]);
  } finally {
    poll.stop();
  }
  const late = await record();
  await new Promise((resolve) => setTimeout(resolve, 100));
  assertEquals((await store.admin.action(late.id))?.status, "pending");
  await applyPendingAdminActions(deps, "test");
});
