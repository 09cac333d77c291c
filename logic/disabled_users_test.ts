/** The per-instance memory of disabled users: one lookup per user per TTL, bounded. */
import { assertEquals, assertRejects } from "../tests/assert.ts";
import { AppError } from "../shared/errors.ts";
import { ACCOUNT_DISABLED, DisabledUsers } from "./disabled_users.ts";

/** A lookup of the disabled users among `ids` that counts what it is asked. */
function lookup(disabled: Set<string>) {
  const asked: string[][] = [];
  const ask = (ids: readonly string[]) => {
    asked.push([...ids]);
    return Promise.resolve(new Set(ids.filter((id) => disabled.has(id))));
  };
  return { asked, ask };
}

Deno.test("a user's state is asked once per TTL, by every caller at once", async () => {
  const disabled = new Set<string>();
  const { asked, ask } = lookup(disabled);
  let now = 1000;
  const users = new DisabledUsers(ask, () => now, { ttlMs: 5000 });
  assertEquals(await Promise.all([1, 2, 3].map(() => users.disabled("7"))), [false, false, false]);
  assertEquals(asked, [["7"]]);
  disabled.add("7");
  now += 4999;
  await users.refuse("7");
  assertEquals(asked.length, 1, "still within the TTL");
  now += 1;
  const refused = await assertRejects(() => users.refuse("7"), AppError);
  assertEquals([(refused as AppError).code, refused.message], [
    "unauthenticated",
    ACCOUNT_DISABLED,
  ]);
  assertEquals(asked, [["7"], ["7"]]);
  assertEquals(await users.disabled("8"), false);
  assertEquals(asked.length, 3, "each user on its own");
});

Deno.test("a failed lookup is not remembered, and is asked again", async () => {
  let fail = true;
  const users = new DisabledUsers(
    (ids) => fail ? Promise.reject(new Error("store down")) : Promise.resolve(new Set(ids)),
    () => 0,
  );
  await assertRejects(() => users.disabled("7"), Error);
  fail = false;
  assertEquals(await users.disabled("7"), true);
});

Deno.test("at most maxUsers are remembered, the least recently asked forgotten first", async () => {
  const { asked, ask } = lookup(new Set());
  let now = 0;
  const users = new DisabledUsers(ask, () => now, { ttlMs: 1000, maxUsers: 2 });
  await users.disabled("1");
  await users.disabled("2");
  now = 1000; // 1 expired: asked again, so now the most recent.
  await users.disabled("1");
  now = 1001;
  await users.disabled("3");
  assertEquals(users.size, 2);
  asked.length = 0;
  await users.disabled("1");
  assertEquals(asked, [], "1 was kept");
  now = 1500;
  await users.disabled("2");
  assertEquals(asked, [["2"]], "2 was forgotten");
});
