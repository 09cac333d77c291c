/** The shared context: its rate limits refuse with `rate_limited` and are counted by limit name. */
import { assertEquals, assertRejects } from "../tests/assert.ts";
import { AppError } from "../shared/errors.ts";
import type { RateLimiter } from "../shared/limiter/mod.ts";
import { rateLimited } from "../shared/metrics.ts";
import { createContext, limitName, type LogicOptions } from "./context.ts";
import { NULL_LOG } from "./_test_logic.ts";

async function refusedBy(limit: string): Promise<number> {
  return (await rateLimited.get()).values.find((v) => v.labels.limit === limit)?.value ?? 0;
}

Deno.test("limitName() names the limit of each key logic takes, never the key's user data", () => {
  const names = [
    "login:addr:10.0.0.1",
    "login:account:alice",
    "login:account@10.0.0.1 alice",
    "register:addr:10.0.0.1",
    "password:42",
    "upload:42",
    "friend-request:42",
    "search-messages:42",
    "search:42",
    "read:42",
    "settings:42",
    "send:42",
    "something-new:42",
  ].map(limitName);
  assertEquals(names, [
    "login_address",
    "login_username",
    "login_username",
    "register_address",
    "password",
    "upload",
    "friend_request",
    "message_search",
    "user_search",
    "read",
    "conversation_settings",
    "send",
    "other",
  ]);
});

Deno.test("ctx.limit() refuses with rate_limited and the seconds to wait, counted by its limit", async () => {
  let wait = 0;
  const limiter = { take: () => Promise.resolve(wait) } as unknown as RateLimiter;
  // limit() needs the limiter alone.
  const ctx = createContext({ log: NULL_LOG, limiter } as unknown as LogicOptions);
  const before = await refusedBy("send");
  await ctx.limit("send:42", { rate: 1, burst: 1 }, "messages");
  assertEquals(await refusedBy("send"), before, "a token taken is no refusal");
  wait = 1500;
  const error = await assertRejects(
    () => ctx.limit("send:42", { rate: 1, burst: 1 }, "messages"),
    AppError,
  );
  const { code, retryAfter } = error as AppError;
  assertEquals([code, retryAfter], ["rate_limited", 2]);
  assertEquals(await refusedBy("send"), before + 1);
});
