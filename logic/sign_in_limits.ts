/**
 * The limits of sign-in. The address pays first; an attempt it refuses costs
 * the account nothing. Then the account: attempts from addresses that have
 * signed in to it before each draw on a bucket of their own, all other
 * addresses share one, and a sign-in that succeeds gives its token back, so
 * only failures count. Guessing from anywhere new is limited per account;
 * failures from elsewhere cannot keep the user out at an address they know.
 */
import type { Context } from "./context.ts";

/** One sign-in attempt that has passed its limits. */
export interface SignInAttempt {
  /** Records that the password was right: the token back, the address known. */
  succeeded(): Promise<void>;
}

/** Takes the tokens of a sign-in attempt, or throws `rate_limited`. */
export async function beginSignIn(
  ctx: Context,
  username: string,
  address = "",
): Promise<SignInAttempt> {
  if (address) {
    await ctx.limit(
      `login:addr:${address}`,
      ctx.rates.loginPerAddress,
      "sign-in attempts from this address",
    );
  }
  // An address holds no space, so it ends where the account begins.
  const account = username.toLowerCase();
  const mark = `login:known:${address} ${account}`;
  const known = address !== "" && await ctx.limiter.remembered(mark);
  const key = known ? `login:account@${address} ${account}` : `login:account:${account}`;
  const limit = ctx.rates.loginPerUsername;
  await ctx.limit(key, limit, "sign-in attempts for this account");
  return {
    async succeeded() {
      await ctx.limiter.refund(key, limit);
      // Known as long as a token issued there may live.
      if (address) await ctx.limiter.remember(mark, ctx.auth.tokenTtlMs);
    },
  };
}
