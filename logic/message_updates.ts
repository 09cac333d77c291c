/**
 * Edit and recall (PROTOCOL.md, Version 2, Messages): each is an update entry
 * appended to the conversation's log like a message, with its own id and the
 * next seq; task stores it, and the store applies it to its target in the same
 * transaction. The answer waits until the log has the entry.
 */
import { AppError } from "../shared/errors.ts";
import { restrictTo } from "../shared/message_view.ts";
import type { AcceptedMessage, Message } from "../shared/types.ts";
import type { Context } from "./context.ts";
import { roleRank } from "./group_roles.ts";
import { checkString, object, pathId } from "./validate.ts";
import { storedSoon } from "./stored_soon.ts";

/** What a message that is not a text is, in an error. */
/**
 * How long a recall's claim holds: longer than a log append may take (it is
 * then stored, and the stored content answers), short enough that a recall
 * whose logic died before its append can be tried again soon.
 */
export const RECALL_CLAIM_MS = 2 * 60_000;

/** A recall claim given back (its append failed), for the moment it takes to expire. */
export const RELEASED = "released";

/** The dedupe key that lets one of two concurrent recalls of a message through. */
export function recallKey(messageId: string): string {
  return `recall:${messageId}`;
}

const NOT_TEXT = {
  image: "an image",
  file: "a file",
  recalled: "a recalled message",
  update: "an edit or recall entry",
  system: "a system message",
} as const;

/** Creates the edit and recall part of the logic service. */
export function messageUpdates(ctx: Context) {
  const { store, limits } = ctx;

  /**
   * The message `messageId` if `userId` may read it, with their history floor
   * (0 in private chats); `not_found` otherwise, so a stranger learns nothing.
   */
  async function readable(userId: string, messageId: string): Promise<[Message, number]> {
    const id = pathId(messageId, "message");
    // A message sent a moment ago may not be stored yet: wait for it rather than answer not_found.
    const message = await storedSoon(id, () => store.messages.byId(id), ctx.now);
    const floor = message === null
      ? null
      : message.to.type === "user"
      ? message.from === userId || message.to.id === userId ? 0 : null
      : await store.groups.historyFloor(message.to.id, userId);
    if (message === null || floor === null || message.seq <= floor) {
      throw new AppError("not_found", `Cannot find message "${id}"`);
    }
    return [message, floor];
  }

  /** An update entry on `target` by `userId`: the server's own entry, with the conversation's `to`. */
  function updateEntry(
    userId: string,
    action: "edit" | "recall",
    target: Message,
    now: number,
  ): AcceptedMessage {
    return {
      id: ctx.ids.next(),
      conversationId: target.conversationId,
      from: userId,
      to: target.to,
      content: { type: "update", action, target },
      sentAt: now,
      clientMsgId: null,
    };
  }

  /** Whether `userId`, who may read `message`, may still write to its conversation. */
  async function maySend(userId: string, message: Message): Promise<boolean> {
    // A reader of a group's message is a member (`readable()` asked).
    if (message.to.type === "group") return true;
    const peer = message.from === userId ? message.to.id : message.from;
    return await store.friends.areFriends(userId, peer);
  }

  /** Who may recall `message`: its sender within the window, else a group's moderators by rank. */
  async function mayRecall(userId: string, message: Message, now: number): Promise<boolean> {
    if (message.from === userId && now - message.sentAt <= limits.recallWindowS * 1000) {
      return true;
    }
    if (message.to.type !== "group") return false;
    const groupId = message.to.id;
    const [mine, theirs] = await Promise.all([
      store.groups.role(groupId, userId),
      message.from === userId ? null : store.groups.role(groupId, message.from),
    ]);
    const rank = roleRank(mine);
    // The owner recalls anything; an admin, messages of plain members and of former members.
    if (rank === 2) return true;
    return rank === 1 && message.from !== userId && roleRank(theirs) < 1;
  }

  return {
    async editMessage(userId: string, messageId: string, input: unknown): Promise<Message> {
      const body = object(input, ["content"]);
      const content = object(body.content, ["type", "text"], "content");
      if (content.type !== "text") {
        throw new AppError("invalid_argument", 'Invalid content.type: only "text" can be edited');
      }
      const text = checkString(content.text, "content.text", { min: 1, max: limits.textMax });
      const [message, floor] = await readable(userId, messageId);
      const now = ctx.now();
      if (message.from !== userId) {
        throw new AppError("forbidden", `Cannot edit message "${message.id}": not yours`);
      }
      if (now - message.sentAt > limits.editWindowS * 1000) {
        throw new AppError(
          "forbidden",
          `Cannot edit message "${message.id}": the edit window of ${limits.editWindowS} s has passed`,
        );
      }
      // A recall accepted but not stored yet (in a cluster the log sits in between)
      // is a recall all the same: an edit now would answer 200 and change nothing.
      const claim = message.content.type === "text"
        ? await ctx.dedupe.get(recallKey(message.id))
        : null;
      if (claim !== null && claim !== RELEASED) {
        throw new AppError(
          "invalid_argument",
          `Cannot edit message "${message.id}": only a text can be edited, not ${NOT_TEXT.recalled}`,
        );
      }
      if (message.content.type !== "text") {
        throw new AppError(
          "invalid_argument",
          `Cannot edit message "${message.id}": only a text can be edited, not ${
            NOT_TEXT[message.content.type]
          }`,
        );
      }
      if (!await maySend(userId, message)) {
        throw new AppError(
          "forbidden",
          `Cannot edit message "${message.id}": you can no longer write to this conversation`,
        );
      }
      // Mentions stay as sent: an edit changes the words, not whom the message notified.
      const edited: Message = { ...message, content: { ...message.content, text }, editedAt: now };
      await ctx.log.append([{
        type: "message",
        message: updateEntry(userId, "edit", edited, now),
      }]);
      return restrictTo(edited, floor);
    },

    async recallMessage(userId: string, messageId: string): Promise<void> {
      const [message] = await readable(userId, messageId);
      const now = ctx.now();
      if (!await mayRecall(userId, message, now)) {
        throw new AppError("forbidden", `Cannot recall message "${message.id}": not allowed`);
      }
      if (message.content.type === "update" || message.content.type === "system") {
        throw new AppError(
          "invalid_argument",
          `Cannot recall message "${message.id}": ${
            NOT_TEXT[message.content.type]
          } is the server's record and cannot be recalled`,
        );
      }
      const recalled = () =>
        new AppError("conflict", `Cannot recall message "${message.id}": already recalled`);
      if (message.content.type === "recalled") throw recalled();
      // The claim holds the recall entry itself until the log has it, then only "appended".
      // A recall whose logic died before its append (or one at the same moment) finds the
      // entry and appends that very entry again: the store keeps it once (by its id), so
      // an answer that was lost never leaves a recall unstored. Once appended, another
      // recall is a conflict, as it is once the store has it.
      const key = recallKey(message.id);
      const target: Message = { ...message, content: { type: "recalled", recalledBy: userId } };
      const mine = updateEntry(userId, "recall", target, now);
      const claimed = await ctx.dedupe.claim(
        key,
        JSON.stringify({ appended: false, entry: mine }),
        RECALL_CLAIM_MS,
      );
      let entry = mine;
      if (claimed !== null && claimed !== RELEASED) {
        const earlier = JSON.parse(claimed) as { appended: boolean; entry?: AcceptedMessage };
        if (earlier.appended || !earlier.entry) throw recalled();
        entry = earlier.entry;
      }
      try {
        await ctx.log.append([{ type: "message", message: entry }]);
        await ctx.dedupe.set(key, JSON.stringify({ appended: true }), RECALL_CLAIM_MS);
      } catch (error) {
        if (entry === mine && claimed === null) {
          // Not recalled after all: let the next try claim it (a key that expires at once).
          await ctx.dedupe.set(key, RELEASED, 1).catch(() => {});
        }
        throw error;
      }
    },
  };
}
