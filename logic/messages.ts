/** Messages: send with idempotency, conversations, history and read marks. */
import { AppError, toAppError } from "../shared/errors.ts";
import type { SendOutcome } from "../shared/rpc/logic.ts";
import type {
  AcceptedMessage,
  Content,
  ConversationSummary,
  SendResult,
  Target,
} from "../shared/types.ts";
import { groupConversationId, privateConversationId } from "../shared/types.ts";
import type { Context } from "./context.ts";
import { checkId, checkInt, checkMediaId, checkString, object } from "./validate.ts";
import { groupView, mediaUrl, userView } from "./views.ts";

/** How long a clientMsgId is remembered. */
export const DEDUPE_MS = 24 * 60 * 60 * 1000;
/** Most sends checked together, and most frames of one connection sent in one `sendMany()`. */
export const MAX_BATCH = 256;
/** Most batches being checked at once. */
const MAX_CHECKS = 1;
/** Most batches whose append is under way at once. */
const MAX_APPENDS = 8;

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
      const info = await store.media.info(mediaId);
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
      if (await store.friends.areFriends(userId, to.id)) {
        return privateConversationId(userId, to.id);
      }
      if (!(await store.accounts.users([to.id])).length) {
        throw new AppError("not_found", `Cannot send to user "${to.id}": no such user`);
      }
      throw new AppError("forbidden", `Cannot send to user "${to.id}": not a friend`);
    }
    if (await store.groups.role(to.id, userId)) return groupConversationId(to.id);
    if (!await store.groups.get(to.id)) {
      throw new AppError("not_found", `Cannot send to group "${to.id}": no such group`);
    }
    throw new AppError("forbidden", `Cannot send to group "${to.id}": not a member`);
  }

  /** A send waiting for its batch. */
  interface Pending {
    userId: string;
    clientMsgId: string;
    key: string;
    input: Record<string, unknown>;
    resolve: (result: SendResult) => void;
    reject: (error: unknown) => void;
  }

  // Group commit: sends that arrive while batches are being checked wait and form
  // the next batch, so a burst costs a few queries and one append, not a few per
  // send. A few batches are checked at once so the store always has work queued,
  // and appends overlap the checks of later batches, each up to a bound. One
  // connection's sends come in one call and so in one batch, in order.
  let waiting: Pending[] = [];
  let scheduled = false;
  let checking = 0;
  let appending = 0;

  function enqueue(userId: string, clientMsgId: string, input: Record<string, unknown>) {
    return new Promise<SendResult>((resolve, reject) => {
      waiting.push({
        userId,
        clientMsgId,
        key: `${userId}:${clientMsgId}`,
        input,
        resolve,
        reject,
      });
      schedule();
    });
  }

  function schedule(): void {
    if (scheduled || waiting.length === 0) return;
    if (checking >= MAX_CHECKS || appending >= MAX_APPENDS) return;
    scheduled = true;
    // A microtask later, so the sends of one call (and of one tick) share a batch.
    queueMicrotask(() => {
      scheduled = false;
      if (waiting.length === 0 || checking >= MAX_CHECKS || appending >= MAX_APPENDS) return;
      const batch = waiting.slice(0, MAX_BATCH);
      waiting = waiting.slice(batch.length);
      checking++;
      acceptBatch(batch)
        .catch((error) => {
          // A failure of the whole batch (a port is down): each send gets it. Settled ones stay settled.
          for (const send of batch) send.reject(error);
        })
        .finally(() => {
          checking--;
          schedule();
        });
    });
  }

  /**
   * Accepts each send of a batch exactly once per (sender, clientMsgId). A message
   * is claimed under that key before it is appended, so a retry after a failed or
   * unanswered append re-appends the very same message (same id: task stores it
   * once) rather than a second copy, whichever logic instance the retry reaches.
   * Resolves once the append is under way; each send settles when it is done.
   */
  async function acceptBatch(batch: Pending[]): Promise<void> {
    const claims: { send: Pending; claim: Claim }[] = [];
    const checked = await Promise.all(batch.map(async (send) => {
      try {
        return { send, to: target(send.input.to), content: await content(send.input.content) };
      } catch (error) {
        return { send, error };
      }
    }));
    const pairs = (type: Target["type"]) =>
      checked.flatMap((c) => c.to?.type === type ? [[c.send.userId, c.to.id] as const] : []);
    // Every lookup at once: one round trip each to the dedupe keys and the store.
    const [remembered, stored, friends, members] = await Promise.all([
      Promise.all(batch.map((send) => ctx.dedupe.get(send.key))),
      // Only a send that may predate what the dedupe port holds needs the store.
      ctx.dedupeSince > ctx.now() - DEDUPE_MS
        ? store.messages.byClientIds(
          batch.map((send) => ({ senderId: send.userId, clientMsgId: send.clientMsgId })),
          ctx.now() - DEDUPE_MS,
        )
        : new Map<string, SendResult>(),
      store.friends.pairs(pairs("user")),
      store.groups.memberPairs(
        pairs("group").map(([userId, groupId]) => [groupId, userId] as const),
      ),
    ]);

    const allowed = await Promise.all(checked.map(async (c, i) => {
      const { send } = c;
      // A send seen before gets its first answer, whatever this copy holds.
      if (remembered[i]) return void claims.push({ send, claim: JSON.parse(remembered[i]!) });
      const hit = stored.get(send.key);
      if (hit) return void send.resolve(hit);
      if (!c.to || !c.content) return void send.reject(c.error);
      const { userId } = send;
      const to = c.to;
      try {
        const conversationId = to.type === "user"
          ? friends.has(`${userId}:${to.id}`) ? privateConversationId(userId, to.id) : null
          : members.has(`${to.id}:${userId}`)
          ? groupConversationId(to.id)
          : null;
        // Refused: ask again one by one, which also tells which error it is.
        return {
          send,
          to,
          content: c.content,
          conversationId: conversationId ?? await conversationFor(userId, to),
        };
      } catch (error) {
        send.reject(error);
        return undefined;
      }
    }));

    // Over the rate: that send alone is refused, with the seconds to wait.
    const accepted = (await Promise.all(
      allowed.map((p) =>
        p && ctx.limit(`send:${p.send.userId}`, ctx.send, "messages").then(
          () => p,
          (error) => void p.send.reject(error),
        )
      ),
    )).filter((p) => p !== undefined);

    const earlier = await Promise.all(accepted.map((p) => {
      const message: AcceptedMessage = {
        id: ctx.ids.next(),
        conversationId: p.conversationId,
        from: p.send.userId,
        to: p.to,
        content: p.content,
        sentAt: ctx.now(),
        clientMsgId: p.send.clientMsgId,
      };
      const claim: Claim = { message, appended: false };
      claims.push({ send: p.send, claim });
      return ctx.dedupe.claim(p.send.key, JSON.stringify(claim), DEDUPE_MS);
    }));
    const first = claims.length - accepted.length;
    earlier.forEach((value, i) => {
      if (value) claims[first + i].claim = JSON.parse(value) as Claim;
    });

    appending++;
    void finish(claims).finally(() => {
      appending--;
      schedule();
    });
  }

  /** Appends the claimed messages not known to be appended, in one call, then answers each. */
  async function finish(claims: { send: Pending; claim: Claim }[]): Promise<void> {
    const todo = claims.filter((c) => !c.claim.appended);
    try {
      await ctx.log.append(todo.map((c) => ({ type: "message", message: c.claim.message })));
      await Promise.all(todo.map(({ send, claim }) =>
        ctx.dedupe.set(
          send.key,
          JSON.stringify({ message: claim.message, appended: true }),
          DEDUPE_MS,
        )
      ));
    } catch (error) {
      for (const { send } of claims) send.reject(error);
      return;
    }
    for (const { send, claim: { message } } of claims) {
      send.resolve({
        id: message.id,
        clientMsgId: message.clientMsgId,
        conversationId: message.conversationId,
      });
    }
  }

  /** Checks a send's envelope and queues it; concurrent retries of one send share its answer. */
  function submit(userId: string, input: unknown): Promise<SendResult> {
    const body = object(input, ["to", "clientMsgId", "content"]);
    const clientMsgId = checkString(body.clientMsgId, "clientMsgId", CLIENT_MSG_ID);
    const key = `${userId}:${clientMsgId}`;
    const running = inFlight.get(key);
    if (running) return running;
    const promise = enqueue(userId, clientMsgId, body);
    inFlight.set(key, promise);
    const forget = () => void inFlight.delete(key);
    promise.then(forget, forget);
    return promise;
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
    if (!await store.groups.get(group[1])) {
      throw new AppError("not_found", `Cannot find conversation "${conversationId}"`);
    }
    if (!await store.groups.role(group[1], userId)) {
      throw new AppError("forbidden", `Cannot read conversation "${conversationId}": not a member`);
    }
  }

  return {
    async send(userId: string, input: unknown): Promise<SendResult> {
      return await submit(userId, input);
    },

    async sendMany(userId: string, inputs: unknown): Promise<SendOutcome[]> {
      if (!Array.isArray(inputs) || inputs.length === 0 || inputs.length > MAX_BATCH) {
        throw new AppError("invalid_argument", `Invalid sends: expected 1 to ${MAX_BATCH} of them`);
      }
      const settled = await Promise.allSettled(
        inputs.map((input) => {
          try {
            return submit(userId, input);
          } catch (error) {
            return Promise.reject(error);
          }
        }),
      );
      return settled.map((s) => {
        if (s.status === "fulfilled") return { result: s.value };
        const error = toAppError(s.reason);
        if (error.code === "internal") console.error(`logic: send from ${userId}:`, s.reason);
        return {
          error: {
            code: error.code,
            message: error.message,
            ...(error.retryAfter !== undefined ? { retryAfter: error.retryAfter } : {}),
          },
        };
      });
    },

    async conversations(userId: string): Promise<ConversationSummary[]> {
      const rows = await store.messages.conversations(userId);
      const peerRows = await store.accounts.users(rows.flatMap((r) => r.peerId ?? []));
      const peers = new Map(peerRows.map((u) => [u.id, userView(u)]));
      const groups = new Map((await store.groups.of(userId)).map((g) => [g.id, groupView(g)]));
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
      return await store.messages.history(conversationId, { after, before, limit });
    },

    async read(userId: string, input: unknown) {
      const body = object(input, ["conversationId", "seq"]);
      const conversationId = checkString(body.conversationId, "conversationId", {
        min: 3,
        max: 64,
      });
      const seq = checkInt(body.seq, "seq", 0, 2 ** 31 - 1);
      await participant(userId, conversationId);
      await store.messages.markRead(userId, conversationId, seq);
    },
  };
}
