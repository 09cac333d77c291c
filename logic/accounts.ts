/** Accounts: registration, login, tokens and profiles. */
import { AppError } from "../shared/errors.ts";
import { hashToken } from "../shared/token_hash.ts";
import type { User } from "../shared/types.ts";
import { presenceShownTo } from "./presence_shown.ts";
import type { Context } from "./context.ts";
import { hashPassword, isTokenShaped, newToken, verifyPassword } from "./credentials.ts";
import { ACCOUNT_DISABLED } from "./disabled_users.ts";
import { beginSignIn } from "./sign_in_limits.ts";
import { userView, withLastSeen } from "./views.ts";
import {
  checkInt,
  checkMediaId,
  checkString,
  object,
  optionalName,
  pathId,
  requiredString,
  SEARCH_MIN,
} from "./validate.ts";

const USERNAME = /^[A-Za-z0-9_.-]+$/;
/** How long a deleted account's username stays taken. */
export const USERNAME_HOLD_MS = 30 * 24 * 3600 * 1000;
/** A session's last use is written at most this often. */
export const SESSION_TOUCH_MS = 60_000;
/** The longest user agent kept with a session. */
const USER_AGENT_MAX = 200;

/** A user agent as kept: printable characters only, at most 200 of them. */
export function plainUserAgent(header: string | undefined): string {
  // deno-lint-ignore no-control-regex
  return [...(header ?? "").replace(/[\u0000-\u001f\u007f-\u009f]/g, "")].slice(0, USER_AGENT_MAX)
    .join("").trim();
}

/** Creates the account half of the logic service. */
export function accounts(ctx: Context) {
  const { store, limits } = ctx;
  let dummyHash: Promise<string> | null = null;

  async function issueToken(user: User, userAgent: string | undefined) {
    const token = newToken();
    const now = ctx.now();
    const created = await store.accounts.createSession({
      id: ctx.ids.next(),
      tokenHash: await hashToken(token),
      userId: user.id,
      createdAt: now,
      expiresAt: now + ctx.auth.tokenTtlMs,
      userAgent: plainUserAgent(userAgent),
    });
    // Disabled between the password check and now: no session was made, and the
    // answer is the one a disabled account gets.
    if (!created) throw new AppError("forbidden", ACCOUNT_DISABLED);
    return { user, token };
  }

  function usernameRule() {
    return {
      min: limits.usernameMin,
      max: limits.usernameMax,
      pattern: USERNAME,
      patternText: "only letters, digits, '_', '.' and '-'",
    };
  }

  async function authenticate(token: string): Promise<User> {
    if (!isTokenShaped(token)) throw new AppError("unauthenticated", "Missing or malformed token");
    const now = ctx.now();
    const session = await store.accounts.session(await hashToken(token), now);
    if (!session) throw new AppError("unauthenticated", "The token is invalid, expired or revoked");
    // A session's last use is written at most once a minute, not on every request.
    if (now - session.lastSeenAt >= SESSION_TOUCH_MS) {
      await store.accounts.touchSession(session.id, now, SESSION_TOUCH_MS);
    }
    return userView(session.user);
  }

  return {
    async register(input: unknown, address?: string, userAgent?: string) {
      const body = object(input, ["username", "password", "nickname"]);
      const username = requiredString(body, "username", usernameRule());
      const password = requiredString(body, "password", {
        min: limits.passwordMin,
        max: limits.passwordMax,
      });
      const nickname = optionalName(body, "nickname", { min: 1, max: limits.nicknameMax }) ??
        username;
      if (address) {
        await ctx.limit(
          `register:addr:${address}`,
          ctx.rates.registerPerAddress,
          "registrations from this address",
        );
      }
      const row = {
        id: ctx.ids.next(),
        username,
        passwordHash: await hashPassword(password, ctx.auth.scryptCost),
        nickname,
        createdAt: ctx.now(),
      };
      const user = await store.accounts.createUser(row).catch(async (error) => {
        // A deleted account holds its username for a while, then gives it up to whoever asks.
        const held = error instanceof AppError && error.code === "conflict" &&
          await store.accounts.releaseUsername(username, row.createdAt - USERNAME_HOLD_MS);
        if (!held) throw error;
        return await store.accounts.createUser(row);
      });
      return await issueToken(userView(user), userAgent);
    },

    async login(input: unknown, address?: string, userAgent?: string) {
      const body = object(input, ["username", "password"]);
      const username = requiredString(body, "username", { min: 1, max: 256 });
      const password = requiredString(body, "password", { min: 1, max: limits.passwordMax });
      // Before any password is tried: per address, then per account (see sign_in_limits.ts).
      const attempt = await beginSignIn(ctx, username, address);
      const found = await store.accounts.credentials(username);
      // An unknown username costs one KDF run too, so timing does not tell which usernames exist.
      dummyHash ??= hashPassword("not a password", ctx.auth.scryptCost);
      const ok = await verifyPassword(password, found?.passwordHash ?? await dummyHash);
      if (!found || !ok) throw new AppError("invalid_credentials", "Wrong username or password");
      // Said only to whoever knows the password: a guesser learns nothing of the account.
      if (found.disabled) throw new AppError("forbidden", ACCOUNT_DISABLED);
      await attempt.succeeded();
      return await issueToken(userView(found.user), userAgent);
    },

    async logout(token: string) {
      await authenticate(token);
      const tokenHash = await hashToken(token);
      await store.accounts.revokeSession(tokenHash);
      await ctx.log.append([{ type: "kick", tokenHashes: [tokenHash] }]);
    },

    authenticate,

    async me(userId: string) {
      const [user] = await store.accounts.users([userId]);
      if (!user) throw new AppError("unauthenticated", "The account no longer exists");
      return userView(user);
    },

    async updateMe(userId: string, input: unknown) {
      const body = object(input, ["nickname", "avatar"]);
      const nickname = optionalName(body, "nickname", { min: 1, max: limits.nicknameMax });
      let avatarMediaId: string | null | undefined;
      if (body.avatar === null) avatarMediaId = null;
      else if (body.avatar !== undefined) {
        avatarMediaId = checkMediaId(body.avatar, "avatar");
        if (!await store.media.info(avatarMediaId)) {
          throw new AppError("not_found", `Cannot use avatar "${avatarMediaId}": no such media`);
        }
      }
      const user = userView(await store.accounts.updateUser(userId, { nickname, avatarMediaId }));
      await ctx.emit(await store.friends.idsOf(userId), { op: "profile", user });
      return user;
    },

    async searchUsers(userId: string, query: string | null, limit: string | null) {
      const q = checkString(query ?? "", "q", { min: SEARCH_MIN, max: 64 });
      const max = checkInt(limit ?? undefined, "limit", 1, 50, 20);
      await ctx.limit(`search:${userId}`, ctx.rates.searchPerUser, "searches");
      return (await store.accounts.search(q, max)).map(userView);
    },

    /**
     * A user; presence (`online`, `lastSeenAt`) only for the user themselves and
     * their friends, except a friend who blocked the caller.
     */
    async user(userId: string, id: string): Promise<{ user: User; online?: boolean }> {
      const [user] = await store.accounts.users([pathId(id, "user")]);
      if (!user) throw new AppError("not_found", `Cannot find user "${id}"`);
      if (!(await presenceShownTo(store, userId, [user.id])).has(user.id)) {
        return { user: userView(user) };
      }
      const [withSeen] = await withLastSeen(ctx, [userView(user)]);
      return { user: withSeen.user, online: withSeen.online };
    },
  };
}
