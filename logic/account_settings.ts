/** Account settings: password change, the list of sessions, signing one out, deleting the account. */
import { AppError } from "../shared/errors.ts";
import { hashToken } from "../shared/token_hash.ts";
import type { Session, User } from "../shared/types.ts";
import type { Context } from "./context.ts";
import { hashPassword, verifyPassword } from "./credentials.ts";
import { object, pathId, requiredString } from "./validate.ts";

/** How a deleted account appears wherever it is still named (history, old requests). */
export function deletedUser(id: string): User {
  return { id, username: "", nickname: "Deleted account", avatar: null };
}

/** What account settings need of the rest of logic. */
export interface AccountSettingsDeps {
  /** Leaves a group as `POST /api/groups/<id>/leave` does (ownership passes on, members told). */
  leaveGroup(userId: string, groupId: string): Promise<void>;
}

/** Creates the account-settings part of the logic service. */
export function accountSettings(ctx: Context, { leaveGroup }: AccountSettingsDeps) {
  const { store, limits } = ctx;

  /** Checks the account's password; a wrong one is `invalid_credentials` and costs a token of the sign-in limit. */
  async function checkPassword(userId: string, password: string): Promise<void> {
    const key = `password:${userId}`;
    await ctx.limit(key, ctx.rates.loginPerUsername, "password attempts for this account");
    const hash = await store.accounts.passwordHash(userId);
    if (!hash || !await verifyPassword(password, hash)) {
      throw new AppError("invalid_credentials", "Wrong password");
    }
    await ctx.limiter.refund(key, ctx.rates.loginPerUsername);
  }

  /** Closes the sockets of these tokens everywhere (4401), through the log as logout does. */
  async function kick(tokenHashes: string[]): Promise<void> {
    if (tokenHashes.length > 0) await ctx.log.append([{ type: "kick", tokenHashes }]);
  }

  function passwordOf(body: Record<string, unknown>, field: string): string {
    return requiredString(body, field, { min: 1, max: limits.passwordMax });
  }

  return {
    async changePassword(userId: string, token: string, input: unknown): Promise<void> {
      const body = object(input, ["current", "password"]);
      const current = passwordOf(body, "current");
      const password = requiredString(body, "password", {
        min: limits.passwordMin,
        max: limits.passwordMax,
      });
      await checkPassword(userId, current);
      const hash = await hashPassword(password, ctx.auth.scryptCost);
      await kick(await store.accounts.setPassword(userId, hash, await hashToken(token)));
    },

    async sessions(userId: string, token: string): Promise<Session[]> {
      const mine = await hashToken(token);
      return (await store.accounts.sessions(userId, ctx.now())).map((row) => ({
        id: row.id,
        createdAt: row.createdAt,
        lastSeenAt: row.lastSeenAt,
        userAgent: row.userAgent,
        current: row.tokenHash === mine,
      }));
    },

    async endSession(userId: string, sessionId: string): Promise<void> {
      const id = pathId(sessionId, "session");
      const tokenHash = await store.accounts.endSession(userId, id, ctx.now());
      if (!tokenHash) throw new AppError("not_found", `Cannot find session "${sessionId}"`);
      await kick([tokenHash]);
    },

    async deleteAccount(userId: string, input: unknown): Promise<void> {
      const body = object(input, ["password"]);
      await checkPassword(userId, passwordOf(body, "password"));
      // The account goes first (sessions revoked, requests deleted, sign-in refused), so nothing
      // can make it a new friend or member while its friendships and memberships are removed.
      await kick(await store.accounts.deleteUser(userId, ctx.now()));
      const friendIds = await store.friends.idsOf(userId);
      for (const friendId of friendIds) await store.friends.remove(userId, friendId);
      for (const groupId of await store.groups.idsOf(userId)) await leaveGroup(userId, groupId);
      await store.media.removeOwnedBy(userId);
      // Former friends' screens show the new name at once.
      await ctx.emit(friendIds, { op: "profile", user: deletedUser(userId) });
    },
  };
}
