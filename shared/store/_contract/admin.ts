/** The contract suite of AdminStore (and of what a disabled account is to AccountStore). */
import { assertEquals } from "../../../tests/assert.ts";
import type { NewAdminAction } from "../mod.ts";
import { type OpenStore, session, suite, type SuiteOptions, user } from "./fixtures.ts";
import { message, recall, setting } from "./message_fixtures.ts";

function action(target: string, patch: Partial<NewAdminAction> = {}): NewAdminAction {
  return {
    at: 5,
    actor: "ops@host",
    action: "disable",
    target,
    args: { reason: "spam" },
    ...patch,
  };
}

/** Runs the AdminStore contract against `store.admin` of stores made by `open`. */
export function testAdminStore(name: string, open: OpenStore, options: SuiteOptions = {}): void {
  const test = suite(name, open, options);

  test("record() writes a pending action; claim() hands out each once, oldest first", async (store) => {
    const first = await store.admin.record(action("11"));
    const second = await store.admin.record(action("12", { action: "counts", args: {} }));
    assertEquals(first, {
      ...action("11"),
      id: first.id,
      status: "pending",
      result: null,
      appliedAt: null,
      appliedBy: null,
    });
    assertEquals(BigInt(second.id) > BigInt(first.id), true);
    const a = await store.admin.claim("logic-1", 100, 90);
    const b = await store.admin.claim("logic-2", 100, 90);
    assertEquals([a?.id, a?.appliedBy, a?.appliedAt], [first.id, "logic-1", 100]);
    assertEquals([b?.id, b?.action, b?.args], [second.id, "counts", {}]);
    assertEquals(await store.admin.claim("logic-3", 100, 90), null);
    // The steps share the store: later ones count on no action left pending.
    for (const row of [first, second]) {
      await store.admin.finish(row.id, { status: "done", result: null, at: 101, by: "logic-1" });
    }
  });

  test("a claim older than staleBefore is taken over; finish() writes the outcome once", async (store) => {
    const row = await store.admin.record(action("13"));
    assertEquals((await store.admin.claim("dead", 200, 190))?.id, row.id);
    assertEquals(await store.admin.claim("other", 205, 195), null);
    assertEquals((await store.admin.claim("other", 230, 201))?.appliedBy, "other");
    const result = { userId: "13", sessions: 2 };
    assertEquals(
      await store.admin.finish(row.id, { status: "done", result, at: 240, by: "other" }),
      true,
    );
    assertEquals(
      await store.admin.finish(row.id, { status: "failed", result: {}, at: 250, by: "dead" }),
      false,
    );
    assertEquals(await store.admin.action(row.id), {
      ...action("13"),
      id: row.id,
      status: "done",
      result,
      appliedAt: 240,
      appliedBy: "other",
    });
    assertEquals(await store.admin.claim("any", 300, 299), null);
    assertEquals(await store.admin.action("999999999"), null);
    assertEquals(await store.admin.action("not an id"), null);
  });

  test("claim() waits while an older action on the same target is unfinished", async (store) => {
    const disable = await store.admin.record(action("31"));
    const enable = await store.admin.record(action("31", { action: "enable", args: {} }));
    const elsewhere = await store.admin.record(action("32"));
    assertEquals((await store.admin.claim("logic-1", 100, 90))?.id, disable.id);
    // The disable is claimed, not finished: the enable after it waits, the other target does not.
    assertEquals((await store.admin.claim("logic-2", 101, 91))?.id, elsewhere.id);
    assertEquals(await store.admin.claim("logic-2", 102, 92), null);
    await store.admin.finish(elsewhere.id, {
      status: "done",
      result: null,
      at: 103,
      by: "logic-2",
    });
    // The disable's claim went stale: taken over before the enable.
    assertEquals((await store.admin.claim("logic-2", 200, 150))?.id, disable.id);
    assertEquals(await store.admin.claim("logic-3", 201, 151), null);
    await store.admin.finish(disable.id, { status: "done", result: null, at: 202, by: "logic-2" });
    assertEquals((await store.admin.claim("logic-3", 203, 153))?.id, enable.id);
    await store.admin.finish(enable.id, { status: "done", result: null, at: 204, by: "logic-3" });
    assertEquals(await store.admin.claim("logic-3", 300, 299), null);
  });

  test("actions() lists the latest first", async (store) => {
    const rows = [];
    for (const target of ["21", "22", "23"]) rows.push(await store.admin.record(action(target)));
    const listed = await store.admin.actions(2);
    assertEquals(listed.map((r) => r.id), [rows[2].id, rows[1].id]);
  });

  test("disableUser() keeps the account from signing in and deletes its sessions", async (store) => {
    const a = await user(store);
    await store.accounts.createSession(session("d1", a.id, 10_000));
    await store.accounts.createSession(session("d2", a.id, 10_000));
    await store.accounts.revokeSession("d2");
    assertEquals(await store.admin.disableUser(a.id, 50, "spam"), ["d1"]);
    assertEquals(await store.accounts.session("d1", 1), null);
    assertEquals(await store.accounts.sessions(a.id, 1), []);
    assertEquals((await store.accounts.credentials(a.username))?.disabled, true);
    // A sign-in that was already past its checks makes no session.
    assertEquals(await store.accounts.createSession(session("d3", a.id, 10_000)), false);
    assertEquals(await store.accounts.session("d3", 1), null);
    // Disabled again: the first time and reason stay.
    assertEquals(await store.admin.disableUser(a.id, 60, "other"), []);
    const [found] = await store.admin.findUsers(a.username, 5, 1);
    assertEquals([found.disabledAt, found.disabledReason, found.sessions], [50, "spam", 0]);
    assertEquals(await store.admin.disableUser("999999999", 50, null), null);
  });

  test("enableUser() lets the account sign in again", async (store) => {
    const a = await user(store);
    const other = await user(store);
    await store.admin.disableUser(a.id, 50, null);
    assertEquals(
      await store.accounts.disabledUsers([a.id, other.id, "999999999"]),
      new Set([a.id]),
    );
    // A sign-in that raced the disable: no session of it comes back with the account.
    await store.accounts.createSession(session("e0", a.id, 10_000));
    assertEquals(await store.admin.enableUser(a.id), true);
    assertEquals(await store.accounts.session("e0", 1), null);
    assertEquals((await store.accounts.credentials(a.username))?.disabled, false);
    assertEquals(await store.accounts.disabledUsers([a.id]), new Set());
    assertEquals(await store.accounts.createSession(session("e1", a.id, 10_000)), true);
    assertEquals((await store.accounts.session("e1", 1))?.user.id, a.id);
    const [found] = await store.admin.findUsers(a.id, 5, 1);
    assertEquals([found.disabledAt, found.disabledReason, found.sessions], [null, null, 1]);
    assertEquals(await store.admin.enableUser(a.id), true, "enabled already");
    assertEquals((await store.accounts.session("e1", 1))?.user.id, a.id);
    assertEquals(await store.admin.enableUser("999999999"), false);
  });

  test("endSessions() deletes every session and names the live ones", async (store) => {
    const a = await user(store);
    await store.accounts.createSession(session("s1", a.id, 10_000));
    await store.accounts.createSession(session("s2", a.id, 10_000));
    assertEquals((await store.admin.endSessions(a.id))?.sort(), ["s1", "s2"]);
    assertEquals(await store.accounts.sessions(a.id, 1), []);
    assertEquals((await store.accounts.credentials(a.username))?.disabled, false);
    assertEquals(await store.admin.endSessions(a.id), []);
    assertEquals(await store.admin.endSessions("999999999"), null);
  });

  test("findUsers() finds by id, username and prefix, exact first; never a deleted account", async (store) => {
    const exact = await user(store, "findme");
    const longer = await user(store, "findmeToo");
    const gone = await user(store, "findmeGone");
    await store.accounts.deleteUser(gone.id, 10);
    await store.accounts.recordLastSeen(longer.id, 77);
    const names = async (q: string) =>
      (await store.admin.findUsers(q, 10, 1)).map((u) => u.username);
    assertEquals(await names("FINDME"), ["findme", "findmeToo"]);
    assertEquals(await names(longer.id), ["findmeToo"]);
    assertEquals(await names("find_"), []);
    assertEquals(await names("99999999999999999999999"), []);
    const [found] = await store.admin.findUsers("findmetoo", 1, 1);
    assertEquals(found, {
      ...longer,
      createdAt: 1,
      lastSeenAt: 77,
      disabledAt: null,
      disabledReason: null,
      sessions: 0,
    });
    assertEquals((await store.admin.findUsers("findme", 1, 1))[0].id, exact.id);
  });

  test(
    "counts() counts accounts, disabled ones, groups and users' messages",
    async (store, clock) => {
      const before = await store.admin.counts();
      const { a, b, conv, gconv } = await setting(store);
      await store.admin.disableUser(b.id, 5, null);
      const [first] = await store.messages.save([
        message(clock, conv, a.id, b.id, "one"),
        message(clock, gconv, b.id, gconv.slice(2), "two"),
      ]);
      // A recall entry is no message of its own; the recalled message still counts.
      await store.messages.save([recall(clock, first)]);
      assertEquals(await store.admin.counts(), {
        users: before.users + 2,
        disabled: before.disabled + 1,
        groups: before.groups + 1,
        messages: before.messages + 2,
      });
    },
  );
}
