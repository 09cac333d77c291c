/** AccountStore's contract for account settings: sessions by id, password change, deletion, last seen. */
import { assert, assertEquals, assertRejects } from "../../../tests/assert.ts";
import { AppError } from "../../errors.ts";
import { id, session, type Step, user } from "./fixtures.ts";

const FAR = 9_000_000_000_000;

/** Adds the account-settings criteria to an AccountStore suite. */
export function testAccountSettings(test: (title: string, step: Step) => void): void {
  test("session() gives the session's own id; touchSession() writes at most once per gap", async (store) => {
    const a = await user(store);
    const row = session("t-touch", a.id, FAR, "Firefox");
    await store.accounts.createSession(row);
    const live = await store.accounts.session("t-touch", 2);
    assertEquals([live?.id, live?.lastSeenAt, live?.user.id], [row.id, 1, a.id]);
    await store.accounts.touchSession(row.id, 60_000, 60_000);
    assertEquals((await store.accounts.session("t-touch", 2))?.lastSeenAt, 1);
    await store.accounts.touchSession(row.id, 60_001, 60_000);
    assertEquals((await store.accounts.session("t-touch", 2))?.lastSeenAt, 60_001);
  });

  test("sessions() lists the live sessions oldest first; endSession() ends only one's own", async (store) => {
    const [a, b] = [await user(store), await user(store)];
    const first = session("t-s1", a.id, FAR, "Phone");
    const second = { ...session("t-s2", a.id, FAR, "Laptop"), createdAt: 5 };
    await store.accounts.createSession(second);
    await store.accounts.createSession(first);
    await store.accounts.createSession(session("t-s3", a.id, 10)); // expired at 10
    await store.accounts.createSession(session("t-s4", b.id, FAR));
    const listed = await store.accounts.sessions(a.id, 10);
    assertEquals(listed, [
      { id: first.id, tokenHash: "t-s1", createdAt: 1, lastSeenAt: 1, userAgent: "Phone" },
      { id: second.id, tokenHash: "t-s2", createdAt: 5, lastSeenAt: 5, userAgent: "Laptop" },
    ]);
    const other = (await store.accounts.sessions(b.id, 10))[0];
    assertEquals(await store.accounts.endSession(a.id, other.id, 10), null);
    assertEquals(await store.accounts.endSession(a.id, "999999", 10), null);
    assertEquals(await store.accounts.endSession(a.id, first.id, 10), "t-s1");
    assertEquals(await store.accounts.endSession(a.id, first.id, 10), null);
    assertEquals(await store.accounts.session("t-s1", 10), null);
    assertEquals((await store.accounts.sessions(a.id, 10)).map((s) => s.id), [second.id]);
    assert(await store.accounts.session("t-s4", 10), "the other user's session lives on");
  });

  test("setPassword() replaces the hash and revokes every other live session", async (store) => {
    const a = await user(store);
    for (const hash of ["t-p1", "t-p2", "t-p3"]) {
      await store.accounts.createSession(session(hash, a.id, FAR));
    }
    await store.accounts.revokeSession("t-p3");
    assertEquals(await store.accounts.passwordHash(a.id), "h");
    assertEquals(await store.accounts.setPassword(a.id, "h2", "t-p1"), ["t-p2"]);
    assertEquals(await store.accounts.passwordHash(a.id), "h2");
    assertEquals((await store.accounts.credentials(a.username))?.passwordHash, "h2");
    assert(await store.accounts.session("t-p1", 2), "the caller's session stays");
    assertEquals(await store.accounts.session("t-p2", 2), null);
    assertEquals(await store.accounts.passwordHash("999999"), null);
  });

  test("deleteUser() ends sign-in and sessions; the row reads as a deleted account", async (store) => {
    const [a, b] = [await user(store), await user(store)];
    await store.accounts.createSession(session("t-d1", a.id, FAR));
    await store.accounts.createSession(session("t-d2", a.id, FAR));
    await store.accounts.revokeSession("t-d2");
    await store.friends.createRequest({
      id: id(),
      fromId: a.id,
      toId: b.id,
      note: "",
      createdAt: 1,
    });
    assertEquals(await store.accounts.deleteUser(a.id, 100), ["t-d1"]);
    assertEquals(await store.accounts.session("t-d1", 2), null);
    assertEquals(await store.accounts.sessions(a.id, 2), []);
    assertEquals(await store.accounts.credentials(a.username), null);
    assertEquals(await store.accounts.passwordHash(a.id), null);
    assertEquals(await store.accounts.search(a.username, 10), []);
    assertEquals((await store.friends.requests(b.id)).incoming, []);
    assertEquals(await store.accounts.users([a.id]), [
      { id: a.id, username: "", nickname: "Deleted account", avatarMediaId: null },
    ]);
    assertEquals(await store.accounts.lastSeen([a.id, b.id]), new Map([[b.id, 1]]));
    // Deleting again changes nothing.
    assertEquals(await store.accounts.deleteUser(a.id, 200), []);
  });

  test("releaseUsername() frees a deleted account's username and look-alikes only when old enough", async (store) => {
    const a = await user(store, "heldname0");
    await store.accounts.deleteUser(a.id, 100);
    const taken = await assertRejects(() => user(store, "HeldnameO"), AppError);
    assertEquals((taken as AppError).code, "conflict");
    assertEquals(await store.accounts.releaseUsername("heldnameO", 99), false);
    assertEquals(await store.accounts.releaseUsername("heldnameO", 100), true);
    const again = await user(store, "HeldnameO");
    assertEquals((await store.accounts.credentials("heldnameo"))?.user.id, again.id);
    // A live account's username is never released.
    assertEquals(await store.accounts.releaseUsername("heldnameO", FAR), false);
  });

  test("recordLastSeen() keeps the latest time; lastSeen() is the registration before any", async (store) => {
    const [a, b] = [await user(store), await user(store)];
    assertEquals(
      await store.accounts.lastSeen([a.id, b.id, "999999"]),
      new Map([[a.id, 1], [b.id, 1]]),
    );
    await store.accounts.recordLastSeen(a.id, 500);
    await store.accounts.recordLastSeen(a.id, 300);
    assertEquals(await store.accounts.lastSeen([a.id]), new Map([[a.id, 500]]));
    assertEquals(await store.accounts.lastSeen([]), new Map());
  });
}
