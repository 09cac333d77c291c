/** Account settings in logic: password change, sessions, deletion and last seen, on a fake clock. */
import { assert, assertEquals, assertRejects } from "../tests/assert.ts";
import { AppError } from "../shared/errors.ts";
import type { LogRecord, MessageLog } from "../shared/message_log/mod.ts";
import { MemoryPresence } from "../shared/presence/memory.ts";
import type { Store } from "../shared/store/mod.ts";
import { hashToken } from "../shared/token_hash.ts";
import { SESSION_TOUCH_MS, USERNAME_HOLD_MS } from "./accounts.ts";
import { stepsOnOneStore, testLogic } from "./_test_logic.ts";

const PASSWORD = "correct horse battery";
let serial = 0;

/** A logic whose log keeps what is appended, on a clock the test moves. */
function setUp(store: Store) {
  const records: LogRecord[] = [];
  const log: MessageLog = {
    append: (batch) => (records.push(...batch), Promise.resolve()),
    consume: () => {},
    ping: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  const clock = { now: Date.UTC(2026, 5, 1) };
  const presence = new MemoryPresence();
  const logic = testLogic({ store, log, presence, now: () => clock.now });
  const register = async (ua?: string) =>
    await logic.register({ username: `acct${++serial}`, password: PASSWORD }, "", ua);
  const kicked = () => records.flatMap((r) => r.type === "kick" ? r.tokenHashes : []);
  return { logic, clock, presence, records, register, kicked };
}

async function code(promise: Promise<unknown>): Promise<string> {
  return ((await assertRejects(() => promise, AppError)) as AppError).code;
}

const test = stepsOnOneStore("account settings");

test("changePassword() checks the current password, then signs out every other session", async (store) => {
  const { logic, register, kicked } = setUp(store);
  const first = await register();
  const other = await logic.login({ username: first.user.username, password: PASSWORD });
  const id = first.user.id;
  const wrong = { current: "not the password", password: "a new password" };
  assertEquals(await code(logic.changePassword(id, first.token, wrong)), "invalid_credentials");
  assertEquals((await logic.authenticate(other.token)).id, id);
  const short = { current: PASSWORD, password: "short" };
  assertEquals(await code(logic.changePassword(id, first.token, short)), "invalid_argument");

  await logic.changePassword(id, first.token, { current: PASSWORD, password: "a new password" });
  assertEquals(kicked(), [await hashToken(other.token)]);
  assertEquals(await code(logic.authenticate(other.token)), "unauthenticated");
  assertEquals((await logic.authenticate(first.token)).id, id);
  const username = first.user.username;
  assertEquals(await code(logic.login({ username, password: PASSWORD })), "invalid_credentials");
  assertEquals((await logic.login({ username, password: "a new password" })).user.id, id);
});

test("sessions() lists live sessions with their own ids; endSession() ends only one's own", async (store) => {
  const { logic, register, kicked } = setUp(store);
  const agent = `Mozilla/5.0 \u0007${"x".repeat(300)}`;
  const mine = await register(agent);
  const phone = await logic.login(
    { username: mine.user.username, password: PASSWORD },
    "",
    "Phone",
  );
  const stranger = await register();
  const listed = await logic.sessions(mine.user.id, mine.token);
  assertEquals(listed.map((s) => [s.userAgent.length, s.current]), [[200, true], [5, false]]);
  assert(listed[0].userAgent.startsWith("Mozilla/5.0 x"), "control characters are dropped");
  const hashes = [await hashToken(mine.token), await hashToken(phone.token)];
  assert(listed.every((s) => /^\d+$/.test(s.id) && !hashes.includes(s.id)), "own ids");

  const theirs = (await logic.sessions(stranger.user.id, stranger.token))[0];
  assertEquals(await code(logic.endSession(mine.user.id, theirs.id)), "not_found");
  assertEquals(await code(logic.endSession(mine.user.id, "h4sh")), "not_found");
  await logic.endSession(mine.user.id, listed[1].id);
  assertEquals(kicked(), [await hashToken(phone.token)]);
  assertEquals(await code(logic.authenticate(phone.token)), "unauthenticated");
  assertEquals(await code(logic.endSession(mine.user.id, listed[1].id)), "not_found");
  assertEquals((await logic.sessions(mine.user.id, mine.token)).length, 1);
});

test("authenticate() moves a session's lastSeenAt at most once a minute", async (store) => {
  const { logic, register, clock } = setUp(store);
  const { user, token } = await register();
  const seen = async () => (await logic.sessions(user.id, token))[0].lastSeenAt;
  const created = await seen();
  clock.now += SESSION_TOUCH_MS - 1;
  await logic.authenticate(token);
  assertEquals(await seen(), created);
  clock.now += 1;
  await logic.authenticate(token);
  assertEquals(await seen(), clock.now);
});

test("deleteAccount() checks the password, removes friends and groups, and holds the username 30 days", async (store) => {
  const { logic, register, kicked, records, clock } = setUp(store);
  const gone = await register();
  const friend = await register();
  const { request } = await logic.requestFriend(gone.user.id, { userId: friend.user.id });
  await logic.acceptFriend(friend.user.id, request!.id);
  const group = await logic.createGroup(gone.user.id, {
    name: "Owned",
    memberIds: [friend.user.id],
  });
  const id = gone.user.id;
  assertEquals(
    await code(logic.deleteAccount(id, { password: "nope nope" })),
    "invalid_credentials",
  );
  assertEquals((await logic.authenticate(gone.token)).id, id);

  await logic.deleteAccount(id, { password: PASSWORD });
  assertEquals(kicked(), [await hashToken(gone.token)]);
  assertEquals(await code(logic.authenticate(gone.token)), "unauthenticated");
  const deleted = { id, username: "", nickname: "Deleted account", avatar: null };
  assertEquals((await logic.user(friend.user.id, id)).user, deleted);
  assertEquals(await logic.friends(friend.user.id), []);
  const details = await logic.group(friend.user.id, group.id);
  assertEquals([details.group.ownerId, details.members.length], [friend.user.id, 1]);
  const profile = records.find((r) => r.type === "event" && r.frame.op === "profile");
  assertEquals(profile?.type === "event" && profile.userIds, [friend.user.id]);
  const username = gone.user.username;
  assertEquals(await code(logic.login({ username, password: PASSWORD })), "invalid_credentials");
  assertEquals((await logic.searchUsers(friend.user.id, username, null)).length, 0);
  assertEquals(await code(logic.requestFriend(friend.user.id, { userId: id })), "not_found");

  const again = { username, password: PASSWORD };
  clock.now += USERNAME_HOLD_MS - 1;
  assertEquals(await code(logic.register(again)), "conflict");
  clock.now += 1;
  assert((await logic.register(again)).user.id !== id, "a new account takes the name");
});

test("deleteAccount() ends the account first: a request accepted while it runs is not_found", async (store) => {
  let paused!: () => void;
  const reached = new Promise<void>((resolve) => paused = resolve);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  const media = store.media;
  const removeOwnedBy = async (id: string) => {
    paused();
    await gate;
    return await media.removeOwnedBy(id);
  };
  // The deletion waits in its last step while the friend accepts the account's old request.
  const slow = { ...store, media: Object.assign(Object.create(media), { removeOwnedBy }) };
  const { logic, register } = setUp(slow as Store);
  const [gone, friend] = [await register(), await register()];
  const { request } = await logic.requestFriend(gone.user.id, { userId: friend.user.id });
  const deleting = logic.deleteAccount(gone.user.id, { password: PASSWORD });
  await reached;
  assertEquals(await code(logic.acceptFriend(friend.user.id, request!.id)), "not_found");
  release();
  await deleting;
  assertEquals(await logic.friends(friend.user.id), []);
  assert(!await store.friends.areFriends(gone.user.id, friend.user.id), "no friendship left");
});

test("user() and friends() show a friend's lastSeenAt: registration, then the last close; null while online", async (store) => {
  const { logic, register, presence, clock } = setUp(store);
  const a = await register();
  const b = await register();
  const stranger = await register();
  const registeredAt = clock.now;
  const { request } = await logic.requestFriend(a.user.id, { userId: b.user.id });
  await logic.acceptFriend(b.user.id, request!.id);
  assertEquals((await logic.user(a.user.id, b.user.id)).user.lastSeenAt, registeredAt);
  assertEquals((await logic.user(stranger.user.id, b.user.id)).user.lastSeenAt, undefined);
  await store.accounts.recordLastSeen(b.user.id, registeredAt + 5000);
  assertEquals((await logic.friends(a.user.id))[0].user.lastSeenAt, registeredAt + 5000);
  await presence.connect(b.user.id, "s1", "c1");
  const online = await logic.friends(a.user.id);
  assertEquals([online[0].online, online[0].user.lastSeenAt], [true, null]);
});
