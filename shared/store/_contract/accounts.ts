/** The contract suite of AccountStore, run once per implementation. */
import { assertEquals, assertRejects } from "../../../tests/assert.ts";
import { AppError } from "../../errors.ts";
import { type OpenStore, session, suite, type SuiteOptions, user } from "./fixtures.ts";
import { testAccountSettings } from "./account_settings.ts";

/** Runs the AccountStore contract against `store.accounts` of stores made by `open`. */
export function testAccountStore(name: string, open: OpenStore, options: SuiteOptions = {}): void {
  const test = suite(name, open, options);
  testAccountSettings(test);

  test("createUser() refuses a taken username, ignoring case", async (store) => {
    await user(store, "Alice");
    const error = await assertRejects(() => user(store, "alice"), AppError);
    assertEquals((error as AppError).code, "conflict");
    const found = await store.accounts.credentials("ALICE");
    assertEquals([found?.user.username, found?.passwordHash], ["Alice", "h"]);
    assertEquals(await store.accounts.credentials("nobody"), null);
  });

  test("createUser() refuses a username whose confusable skeleton is taken", async (store) => {
    await user(store, "mild0");
    await user(store, "wave.1");
    for (const twin of ["mi1d0", "rnildO", "rniIclo", "MILD0", "vvave.l", "VVave.I", "wave.I"]) {
      const error = await assertRejects(() => user(store, twin), AppError);
      assertEquals((error as AppError).code, "conflict", twin);
    }
    // Not look-alikes: these differ in what a reader sees.
    for (const other of ["mild-0", "mi1d", "wave.2", "rnlldo"]) await user(store, other);
    assertEquals(await store.accounts.credentials("rnildO"), null);
  });

  test("users() returns the users that exist, in the order asked", async (store) => {
    const [a, b] = [await user(store), await user(store)];
    assertEquals(await store.accounts.users([b.id, "999999", a.id]), [b, a]);
    assertEquals(await store.accounts.users([]), []);
  });

  test("updateUser() patches the nickname and avatar; an unknown user is not_found", async (store) => {
    const a = await user(store);
    const avatarId = "a".repeat(24);
    const renamed = await store.accounts.updateUser(a.id, {
      nickname: "Al",
      avatarMediaId: avatarId,
    });
    assertEquals(renamed, { ...a, nickname: "Al", avatarMediaId: avatarId });
    const kept = await store.accounts.updateUser(a.id, { avatarMediaId: null });
    assertEquals(kept, { ...a, nickname: "Al", avatarMediaId: null });
    const error = await assertRejects(
      () => store.accounts.updateUser("999999", { nickname: "x" }),
      AppError,
    );
    assertEquals((error as AppError).code, "not_found");
  });

  test("sessions expire and can be revoked", async (store) => {
    const a = await user(store);
    await store.accounts.createSession(session("h1", a.id, 1000));
    assertEquals((await store.accounts.session("h1", 999))?.user.id, a.id);
    assertEquals(await store.accounts.session("h1", 1000), null);
    await store.accounts.createSession(session("h2", a.id, 5000));
    await store.accounts.revokeSession("h2");
    assertEquals(await store.accounts.session("h2", 1), null);
  });

  test("search() puts the exact username first and treats LIKE wildcards literally", async (store) => {
    await user(store, "bobby");
    await user(store, "bob");
    await user(store, "b_b");
    const names = async (q: string, limit = 10) =>
      (await store.accounts.search(q, limit)).map((u) => u.username);
    assertEquals(await names("bob"), ["bob", "bobby"]);
    assertEquals(await names("BO", 1), ["bob"]);
    assertEquals(await names("_"), ["b_b"]);
  });
}
