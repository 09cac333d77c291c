/** Messages: send with idempotency, conversations, history and read marks. */
import { AppError } from "../shared/errors.ts";
import type {
  AcceptedMessage,
  Content,
  ConversationSummary,
  SendResult,
  Target,
} from "../shared/types.ts";
import { groupConversationId, mediaUrl, privateConversationId } from "../shared/types.ts";
import type { Context } from "./context.ts";
import { checkId, checkInt, checkMediaId, checkString, object } from "./validate.ts";

const DEDUPE_MS = 24 * 60 * 60 * 1000;

/** What the dedupe key of a send holds: the message, and whether the log has acknowledged it. */
interface Claim {
  message: AcceptedMessage;
  appended: boolean;
}
const CLIENT_MSG_ID = {
  min: 1,
  max: 64,
  pattern: /^[\x21-\x7e]+$/,
  patternText: "printable ASCII without spaces",
};

/** Creates the messages part of the logic service. */
export function messages(ctx: Context) {
  const { store, limits } = ctx;
  const inFlight = new Map<string, Promise<SendResult>>();

  function target(value: unknown): Target {
    const body = object(value, ["type", "id"], "to");
    if (body.type !== "user" && body.type !== "group") {
      throw new AppError("invalid_argument", 'Invalid to.type: expected "user" or "group"');
    }
    return { type: body.type, id: checkId(body.id, "to.id") };
  }

  async function content(value: unknown): Promise<Content> {
    const body = object(value, ["type", "text", "mediaId"], "content");
    if (body.type === "text") {
      object(value, ["type", "text"], "content");
      return {
        type: "text",
        text: checkString(body.text, "content.text", { min: 1, max: limits.textMax }),
      };
    }
    if (body.type === "image") {
      object(value, ["type", "mediaId"], "content");
      const mediaId = checkMediaId(body.mediaId, "content.mediaId");
      const info = await store.mediaInfo(mediaId);
      if (!info) throw new AppError("not_found", `Cannot send image "${mediaId}": no such media`);
      return {
        type: "image",
        mediaId,
        url: mediaUrl(mediaId),
        ...(info.width !== null && info.height !== null
          ? { width: info.width, height: info.height }
          : {}),
      };
    }
    throw new AppError("invalid_argument", 'Invalid content.type: expected "text" or "image"');
  }

  /** The conversation of a send, if the sender may write there; one query when it may (the hot path). */
  async function conversationFor(userId: string, to: Target): Promise<string> {
    if (to.type === "user") {
      // Friendship implies the user exists; only a refusal needs to tell which it is.
      if (await store.areFriends(userId, to.id)) return privateConversationId(userId, to.id);
      if (!(await store.users([to.id])).length) {
        throw new AppError("not_found", `Cannot send to user "${to.id}": no such user`);
      }
      throw new AppError("forbidden", `Cannot send to user "${to.id}": not a friend`);
    }
    if (await store.groupRole(to.id, userId)) return groupConversationId(to.id);
    if (!await store.group(to.id)) {
      throw new AppError("not_found", `Cannot send to group "${to.id}": no such group`);
    }
    throw new AppError("forbidden", `Cannot send to group "${to.id}": not a member`);
  }

  /**
   * Accepts a send exactly once per (sender, clientMsgId). The message is claimed
   * under that key before it is appended, so a retry after a failed or unanswered
   * append re-appends the very same message (same id: task stores it once) rather
   * than a second copy, whichever logic instance the retry reaches.
   */
  async function accept(
    userId: string,
    clientMsgId: string,
    input: Record<string, unknown>,
  ): Promise<SendResult> {
    const key = `${userId}:${clientMsgId}`;
    const remembered = await ctx.dedupe.get(key);
    if (remembered) return await finish(key, JSON.parse(remembered) as Claim);
    const stored = await store.messageByClientId(userId, clientMsgId, ctx.now() - DEDUPE_MS);
    if (stored) return stored;

    const to = target(input.to);
    const body = await content(input.content);
    const conversationId = await conversationFor(userId, to);
    const wait = await ctx.limiter.take(`send:${userId}`, ctx.send);
    if (wait > 0) {
      throw new AppError("rate_limited", "Too many messages; slow down", {
        retryAfter: Math.ceil(wait / 1000),
      });
    }
    const message: AcceptedMessage = {
      id: ctx.ids.next(),
      conversationId,
      from: userId,
      to,
      content: body,
      sentAt: ctx.now(),
      clientMsgId,
    };
    const claim: Claim = { message, appended: false };
    const earlier = await ctx.dedupe.claim(key, JSON.stringify(claim), DEDUPE_MS);
    return await finish(key, earlier ? JSON.parse(earlier) as Claim : claim);
  }

  /** Appends a claimed message unless that is known to be done, then answers it. */
  async function finish(key: string, claim: Claim): Promise<SendResult> {
    const { message } = claim;
    if (!claim.appended) {
      await ctx.log.append([{ type: "message", message }]);
      await ctx.dedupe.set(key, JSON.stringify({ message, appended: true }), DEDUPE_MS);
    }
    return {
      id: message.id,
      clientMsgId: message.clientMsgId,
      conversationId: message.conversationId,
    };
  }

  /** Checks the caller takes part in a conversation; returns its kind. */
  async function participant(userId: string, conversationId: string): Promise<void> {
    const priv = /^u:([1-9][0-9]{0,18}):([1-9][0-9]{0,18})$/.exec(conversationId);
    if (priv) {
      if (privateConversationId(priv[1], priv[2]) !== conversationId || priv[1] === priv[2]) {
        throw new AppError("not_found", `Cannot find conversation "${conversationId}"`);
      }
      if (priv[1] !== userId && priv[2] !== userId) {
        throw new AppError(
          "forbidden",
          `Cannot read conversation "${conversationId}": not a participant`,
        );
      }
      return;
    }
    const group = /^g:([1-9][0-9]{0,18})$/.exec(conversationId);
    if (!group) {
      throw new AppError("not_found", `Cannot find conversation "${conversationId.slice(0, 60)}"`);
    }
    if (!await store.group(group[1])) {
      throw new AppError("not_found", `Cannot find conversation "${conversationId}"`);
    }
    if (!await store.groupRole(group[1], userId)) {
      throw new AppError("forbidden", `Cannot read conversation "${conversationId}": not a member`);
    }
  }

  return {
    async send(userId: string, input: unknown): Promise<SendResult> {
      const body = object(input, ["to", "clientMsgId", "content"]);
      const clientMsgId = checkString(body.clientMsgId, "clientMsgId", CLIENT_MSG_ID);
      const key = `${userId}:${clientMsgId}`;
      // Concurrent retries of one send share its answer.
      const running = inFlight.get(key);
      if (running) return await running;
      const promise = accept(userId, clientMsgId, body);
      inFlight.set(key, promise);
      try {
        return await promise;
      } finally {
        inFlight.delete(key);
      }
    },

    async conversations(userId: string): Promise<ConversationSummary[]> {
      const rows = await store.conversations(userId);
      const peers = new Map(
        (await store.users(rows.flatMap((r) => r.peerId ?? []))).map((u) => [u.id, u]),
      );
      const groups = new Map((await store.groupsOf(userId)).map((g) => [g.id, g]));
      return rows.map((row) => ({
        id: row.id,
        type: row.type,
        ...(row.peerId ? { peer: peers.get(row.peerId) } : {}),
        ...(row.groupId ? { group: groups.get(row.groupId) } : {}),
        lastSeq: row.lastSeq,
        readSeq: row.readSeq,
        unread: row.unread,
        lastMessage: row.lastMessage,
      }));
    },

    async history(
      userId: string,
      conversationId: string,
      query: { after: string | null; before: string | null; limit: string | null },
    ) {
      const limit = checkInt(query.limit ?? undefined, "limit", 1, 200, 50);
      const after = query.after === null
        ? undefined
        : checkInt(query.after, "after", 0, 2 ** 31 - 1);
      const before = query.before === null
        ? undefined
        : checkInt(query.before, "before", 1, 2 ** 31 - 1);
      await participant(userId, conversationId);
      return await store.history(conversationId, { after, before, limit });
    },

    async read(userId: string, input: unknown) {
      const body = object(input, ["conversationId", "seq"]);
      const conversationId = checkString(body.conversationId, "conversationId", {
        min: 3,
        max: 64,
      });
      const seq = checkInt(body.seq, "seq", 0, 2 ** 31 - 1);
      await participant(userId, conversationId);
      await store.markRead(userId, conversationId, seq);
    },
  };
}
