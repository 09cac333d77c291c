/** The sign-in limits through login(): logic on an in-memory store and a memory limiter on a fake clock. */
import { assertEquals, assertRejects } from "../tests/assert.ts";
import { MemoryDedupe } from "../shared/dedupe/memory.ts";
import { AppError } from "../shared/errors.ts";
import { MemoryRateLimiter } from "../shared/limiter/memory.ts";
import type { Store } from "../shared/store/mod.ts";
import { stepsOnOneStore, testLogic } from "./_test_logic.ts";
import { clientNetwork } from "./sign_in_limits.ts";

const PASSWORD = "correct horse battery";
const NONE = { rate: 1e9, burst: 1e9 };
let nextName = 1;

/** A logic whose sign-ins allow 3 per minute per account and 5 per minute per address. */
async function setUp(store: Store, { maxKeys = 100_000 } = {}) {
  let now = 0;
  const limiter = new MemoryRateLimiter({ now: () => now, maxKeys });
  const dedupe = new MemoryDedupe();
  const logic = testLogic({
    store,
    dedupe,
    limiter,
    rates: {
      loginPerUsername: { rate: 3 / 60, burst: 3 },
      loginPerAddress: { rate: 5 / 60, burst: 5 },
      registerPerAddress: NONE,
      uploadPerUser: NONE,
      friendRequestPerUser: NONE,
      searchPerUser: NONE,
      readPerUser: NONE,
      messageSearchPerUser: NONE,
    },
  });
  const username = `victim${nextName++}`;
  await logic.register({ username, password: PASSWORD });
  /** Signs in as the victim from `address`; resolves to the outcome's code. */
  const login = (address: string, password = PASSWORD) =>
    logic.login({ username, password }, address).then(
      () => "ok",
      (e) => e instanceof AppError ? e.code : Promise.reject(e),
    );
  return {
    logic,
    limiter,
    login,
    advance: (ms: number) => void (now += ms),
    async [Symbol.asyncDispose]() {
      await limiter.close();
      await dedupe.close();
    },
  };
}

const test = stepsOnOneStore("login()");

test("attempts refused by the address limit cost the account nothing", async (store) => {
  await using t = await setUp(store);
  // 10.0.0.9 spends its five attempts elsewhere, then keeps trying the victim's account.
  for (let i = 0; i < 5; i++) {
    await assertRejects(() => t.logic.login({ username: "nobody", password: "x" }, "10.0.0.9"));
  }
  for (let i = 0; i < 10; i++) assertEquals(await t.login("10.0.0.9", "wrong"), "rate_limited");
  assertEquals(await t.login("10.0.0.1"), "ok");
});

test("failures from other addresses do not stop the right password from a known address", async (store) => {
  await using t = await setUp(store);
  assertEquals(await t.login("10.0.0.1"), "ok");
  // An attacker on many addresses, each within its own limit, guesses until the account refuses.
  const outcomes = [];
  for (let i = 0; i < 8; i++) outcomes.push(await t.login(`10.6.6.${i}`, "guess"));
  assertEquals(outcomes, [
    ...Array(3).fill("invalid_credentials"),
    ...Array(5).fill("rate_limited"),
  ]);
  assertEquals(await t.login("10.0.0.1"), "ok", "the user's known address still signs in");
  assertEquals(await t.login("10.0.0.2"), "rate_limited", "an address never seen waits");
  t.advance(20_000);
  assertEquals(await t.login("10.6.6.9", "guess"), "invalid_credentials", "one token back");
  assertEquals(await t.login("10.6.6.9", "guess"), "rate_limited");
});

test("a known address is itself limited to the account's rate of failures", async (store) => {
  await using t = await setUp(store);
  assertEquals(await t.login("10.0.0.1"), "ok");
  for (let i = 0; i < 3; i++) {
    assertEquals(await t.login("10.0.0.1", "guess"), "invalid_credentials");
  }
  assertEquals(await t.login("10.0.0.1"), "rate_limited");
  t.advance(20_000);
  assertEquals(await t.login("10.0.0.1"), "ok");
});

test("successful sign-ins do not use up the account's attempts", async (store) => {
  await using t = await setUp(store);
  // Within the address's five per minute, more than the account's three.
  for (let i = 0; i < 5; i++) assertEquals(await t.login("10.0.0.1"), "ok");
  for (let i = 0; i < 3; i++) {
    assertEquals(await t.login("10.0.0.2", "guess"), "invalid_credentials");
  }
  assertEquals(await t.login("10.0.0.3", "guess"), "rate_limited");
});

test("refused sign-ins with unique long usernames hold no buckets", async (store) => {
  await using t = await setUp(store);
  const before = t.limiter.size;
  for (let i = 0; i < 2000; i++) {
    const username = `${i}`.padStart(250, "x");
    await assertRejects(() => t.logic.login({ username, password: "x" }, "10.0.0.9"), AppError);
  }
  // Five attempts were allowed (an address bucket and five account buckets); the rest hold nothing.
  const held = t.limiter.size - before;
  console.log(`buckets held after 2000 sign-ins (1995 refused): ${held}`);
  assertEquals(held <= 6, true, `${held} buckets`);
});

test("an IPv6 address counts as its /64 network", async (store) => {
  await using t = await setUp(store);
  assertEquals(await t.login("2001:db8:0:1::a"), "ok");
  for (let i = 0; i < 8; i++) await t.login(`2001:db8:0:2::${i}`, "guess");
  assertEquals(await t.login("2001:db8:0:1:ffff::b"), "ok", "known: another host of the network");
  assertEquals(await t.login("2001:db8:0:2::99"), "rate_limited", "the guessing network is one");
});

Deno.test("clientNetwork() keeps IPv4 and cuts IPv6 to its /64", () => {
  assertEquals(clientNetwork("203.0.113.7"), "203.0.113.7");
  assertEquals(clientNetwork(""), "");
  assertEquals(clientNetwork("::ffff:203.0.113.7"), "203.0.113.7");
  assertEquals(clientNetwork("2001:DB8:0:01:2:3:4:5"), "2001:db8:0:1::/64");
  assertEquals(clientNetwork("2001:db8::1"), "2001:db8:0:0::/64");
  assertEquals(clientNetwork("2001:db8:1:2:3::"), "2001:db8:1:2::/64");
  assertEquals(clientNetwork("::1"), "0:0:0:0::/64");
  assertEquals(clientNetwork("fe80::1%eth0"), "fe80:0:0:0::/64");
  assertEquals(clientNetwork("64:ff9b::198.51.100.1"), "64:ff9b:0:0::/64");
});
