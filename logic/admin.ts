/**
 * The admin tool's actions (`deno task admin`, scripts/admin.ts), as a server
 * applies them. The tool writes each action to the audit log (`admin_actions`)
 * as pending; every logic process, and the embedded server, polls for pending
 * actions once a second, claims one (on PostgreSQL, one process takes each),
 * applies it here and writes back `done` with its result or `failed` with the
 * error. With no server running on an embedded data folder the tool applies
 * the action itself through the same functions (nobody is connected then).
 *
 * - disable: the account may no longer sign in (login with the right password
 *   is `forbidden` "This account is disabled"); every session is deleted and
 *   its token hash kicked through the log, so open sockets close with 4401
 *   (task tries a kick again when a connect server missed it, and logic
 *   refuses a disabled user's socket writes within seconds whatever became of
 *   the kick: `disabled_users.ts`).
 * - enable: it may sign in again (old sessions stay gone).
 * - signout: every session deleted and kicked, the account left as it is.
 * - recall: any message, of any age, as a moderator: the same update entry a
 *   user's recall appends (members get it as any recall, history shows the
 *   message recalled), sent in the sender's name (so it reaches the same
 *   participants) with `recalledBy` {@link MODERATOR}. A message a moderator
 *   recalled already is done again (an action may be applied twice), one its
 *   sender recalled is a conflict.
 * - counts: users, disabled users, groups, messages, and users online now.
 */
import { AppError } from "../shared/errors.ts";
import { configureLogging, type Logger, logger } from "../shared/log.ts";
import type { Dedupe } from "../shared/dedupe/mod.ts";
import type { MessageLog } from "../shared/message_log/mod.ts";
import type { Presence } from "../shared/presence/mod.ts";
import type { AdminActionRow, AdminStore, MessageStore } from "../shared/store/mod.ts";
import { type AcceptedMessage, type Message, MODERATOR } from "../shared/types.ts";
import { RECALL_CLAIM_MS, recallKey, RELEASED } from "./message_updates.ts";

export { MODERATOR };

/** How often a server looks for pending actions. */
export const ADMIN_POLL_MS = 1000;

/**
 * A claim older than this was a process that died while applying: another takes
 * the action over (each action may be applied again: disable and signout end
 * what sessions are left, recall is claimed once by message).
 */
export const ADMIN_CLAIM_STALE_MS = 30_000;

/** What applying admin actions needs: the logic context has all of it. */
export interface AdminDeps {
  store: { admin: AdminStore; messages: Pick<MessageStore, "byId"> };
  log: Pick<MessageLog, "append">;
  presence: Pick<Presence, "count">;
  dedupe: Dedupe;
  ids: { next(): string };
  now: () => number;
}

/** The result of `counts`. */
export interface AdminCountsResult {
  users: number;
  disabled: number;
  groups: number;
  messages: number;
  online: number;
}

/** An id as ids are written (a positive 64-bit integer), else `invalid_argument`. */
export function checkAdminId(value: string, what: string): string {
  if (!/^[1-9]\d{0,18}$/.test(value) || BigInt(value) >= 2n ** 63n) {
    throw new AppError("invalid_argument", `Invalid ${what} id "${value.slice(0, 40)}"`);
  }
  return value;
}

/** Applies one action (as recorded); its result, or throws the AppError it failed with. */
export async function applyAdminAction(deps: AdminDeps, action: AdminActionRow): Promise<unknown> {
  const { store } = deps;
  switch (action.action) {
    case "disable": {
      const userId = checkAdminId(action.target, "user");
      const reason = typeof action.args.reason === "string" ? action.args.reason : null;
      const hashes = await store.admin.disableUser(userId, deps.now(), reason);
      if (hashes === null) throw noUser(userId);
      await kick(deps, hashes);
      return { userId, sessionsEnded: hashes.length };
    }
    case "enable": {
      const userId = checkAdminId(action.target, "user");
      if (!await store.admin.enableUser(userId)) throw noUser(userId);
      return { userId };
    }
    case "signout": {
      const userId = checkAdminId(action.target, "user");
      const hashes = await store.admin.endSessions(userId);
      if (hashes === null) throw noUser(userId);
      await kick(deps, hashes);
      return { userId, sessionsEnded: hashes.length };
    }
    case "recall":
      return await moderatorRecall(deps, checkAdminId(action.target, "message"));
    case "counts": {
      const [counts, online] = await Promise.all([store.admin.counts(), deps.presence.count()]);
      return { ...counts, online } satisfies AdminCountsResult;
    }
    default:
      throw new AppError(
        "invalid_argument",
        `Unknown admin action "${String((action as { action: unknown }).action)}"`,
      );
  }
}

function noUser(userId: string): AppError {
  return new AppError("not_found", `Cannot find user "${userId}"`);
}

/** Closes the sockets of ended sessions (4401), as a logout does. */
async function kick(deps: AdminDeps, tokenHashes: string[]): Promise<void> {
  if (tokenHashes.length > 0) await deps.log.append([{ type: "kick", tokenHashes }]);
}

/** Whether a recall entry (or the claim's copy of it) is a moderator's. */
function byModerator(entry: AcceptedMessage | undefined): boolean {
  const content = entry?.content;
  if (content?.type !== "update" || !("content" in content.target)) return false;
  const target = content.target.content;
  return target.type === "recalled" && target.recalledBy === MODERATOR;
}

/**
 * Recalls a message as a moderator. The same claim as a user's recall
 * (`message_updates.ts`) lets one of two recalls at once through, so a
 * message is recalled once.
 *
 * A message a moderator recalled already is done, not a conflict: an action
 * is applied again when its applier died after the recall but before it wrote
 * the outcome (its claim went stale), and the audit log must then say done.
 * The claim says the recall was a moderator's while the store has not caught
 * up yet (in a cluster the log sits in between); one whose entry was claimed
 * but maybe never appended appends that very entry again (the store keeps it
 * once, by its id), as a user's recall does.
 */
async function moderatorRecall(
  deps: AdminDeps,
  messageId: string,
): Promise<{ messageId: string; conversationId: string; seq: number }> {
  const message = await deps.store.messages.byId(messageId);
  if (!message) throw new AppError("not_found", `Cannot find message "${messageId}"`);
  const done = { messageId, conversationId: message.conversationId, seq: message.seq };
  const content = message.content;
  if (content.type === "update" || content.type === "system") {
    throw new AppError(
      "invalid_argument",
      `Cannot recall message "${messageId}": it is the server's record of a change`,
    );
  }
  const recalled = () =>
    new AppError("conflict", `Cannot recall message "${messageId}": already recalled`);
  if (content.type === "recalled") {
    if (content.recalledBy === MODERATOR) return done;
    throw recalled();
  }
  const now = deps.now();
  const target: Message = { ...message, content: { type: "recalled", recalledBy: MODERATOR } };
  // In the sender's name: the entry goes to the conversation's participants as theirs would.
  const mine: AcceptedMessage = {
    id: deps.ids.next(),
    conversationId: message.conversationId,
    from: message.from,
    to: message.to,
    content: { type: "update", action: "recall", target },
    sentAt: now,
    clientMsgId: null,
  };
  const key = recallKey(messageId);
  const claimed = await deps.dedupe.claim(
    key,
    JSON.stringify({ appended: false, entry: mine }),
    RECALL_CLAIM_MS,
  );
  let entry = mine;
  if (claimed !== null && claimed !== RELEASED) {
    const earlier = JSON.parse(claimed) as {
      appended: boolean;
      by?: string;
      entry?: AcceptedMessage;
    };
    if (earlier.appended && earlier.by === MODERATOR) return done;
    if (earlier.appended || !byModerator(earlier.entry)) throw recalled();
    entry = earlier.entry!;
  }
  try {
    await deps.log.append([{ type: "message", message: entry }]);
    await deps.dedupe.set(
      key,
      JSON.stringify({ appended: true, by: MODERATOR }),
      RECALL_CLAIM_MS,
    );
  } catch (error) {
    if (entry === mine && claimed === null) await deps.dedupe.set(key, RELEASED, 1).catch(() => {});
    throw error;
  }
  return done;
}

/** An error as the audit log keeps it. */
function failure(error: unknown): { code: string; message: string } {
  return error instanceof AppError
    ? { code: error.code, message: error.message }
    : { code: "internal", message: "The action failed on the server; see its log" };
}

/** Who applies actions here, as the audit log names it: layer, instance, host and process. */
export function applierName(): string {
  const { layer, instance } = configureLogging({});
  let host = "";
  try {
    host = Deno.hostname();
  } catch {
    // No permission to read it: the process id says enough.
  }
  return `${layer}${instance ? ` ${instance}` : ""} (${host ? `${host}, ` : ""}pid ${Deno.pid})`;
}

/**
 * Claims and applies the pending actions one by one until none is left; how
 * many it applied. An action that fails is written `failed` with its error.
 */
export async function applyPendingAdminActions(
  deps: AdminDeps,
  by: string,
  log: Logger = logger("admin"),
): Promise<number> {
  let applied = 0;
  for (;;) {
    const now = deps.now();
    const action = await deps.store.admin.claim(by, now, now - ADMIN_CLAIM_STALE_MS);
    if (!action) return applied;
    let outcome: { status: "done" | "failed"; result: unknown };
    try {
      outcome = { status: "done", result: await applyAdminAction(deps, action) };
    } catch (error) {
      if (!(error instanceof AppError)) log.error("admin action failed", { error });
      outcome = { status: "failed", result: failure(error) };
    }
    await deps.store.admin.finish(action.id, { ...outcome, at: deps.now(), by });
    log.info("admin action applied", {
      actionId: action.id,
      action: action.action,
      target: action.target,
      actor: action.actor,
      status: outcome.status,
    });
    applied++;
  }
}

/**
 * Polls for pending actions every `everyMs` and applies them, until `stop()`.
 * The timer never holds the process open; a failed poll (the store down) is
 * logged and tried again at the next tick.
 */
export function pollAdminActions(
  deps: AdminDeps,
  { everyMs = ADMIN_POLL_MS, by = applierName() }: { everyMs?: number; by?: string } = {},
): { stop(): void } {
  const log = logger("admin");
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const schedule = () => {
    timer = setTimeout(tick, everyMs);
    Deno.unrefTimer(timer);
  };
  const tick = async () => {
    try {
      await applyPendingAdminActions(deps, by, log);
    } catch (error) {
      if (!stopped) log.warn("admin actions poll failed", { error });
    }
    if (!stopped) schedule();
  };
  schedule();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
