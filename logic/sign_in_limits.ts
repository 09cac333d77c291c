/**
 * The limits of sign-in. The address pays first; an attempt it refuses costs
 * the account nothing. Then the account: attempts from addresses that have
 * signed in to it before each draw on a bucket of their own, all other
 * addresses share one, and a sign-in that succeeds gives its token back, so
 * only failures count. Guessing from anywhere new is limited per account;
 * failures from elsewhere cannot keep the user out at an address they know.
 * An IPv6 "address" here is its /64 network: one host can hold all of it.
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
  peer = "",
): Promise<SignInAttempt> {
  const address = clientNetwork(peer);
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

/** An IPv4 address as it is; an IPv6 address as its /64 network (`2001:db8:0:1::/64`). */
export function clientNetwork(address: string): string {
  const ip = address.replace(/%.*$/, "");
  if (!ip.includes(":")) return ip;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  const [head, tail] = ip.split("::");
  const groups = (part: string | undefined) => part ? part.split(":") : [];
  // An IPv4 tail (`::1.2.3.4`) fills two groups.
  const width = (part: string[]) => part.reduce((n, g) => n + (g.includes(".") ? 2 : 1), 0);
  const full = tail === undefined ? groups(head) : [
    ...groups(head),
    ...Array(Math.max(0, 8 - width(groups(head)) - width(groups(tail)))).fill("0"),
    ...groups(tail),
  ];
  return `${full.slice(0, 4).map((g) => (parseInt(g, 16) || 0).toString(16)).join(":")}::/64`;
}
