/**
 * Sending: sends are checked in batches, claimed once per (sender, clientMsgId),
 * and appended to the message log; each is answered once the log has it.
 */
import { AppError, toAppError } from "../shared/errors.ts";
import { logger } from "../shared/log.ts";
import type { SendOutcome } from "../shared/rpc/logic.ts";
import type {
  AcceptedMessage,
  Content,
  ReplyPreview,
  SendResult,
  Target,
} from "../shared/types.ts";
import { groupConversationId, privateConversationId } from "../shared/types.ts";
import type { SenderState } from "../shared/store/mod.ts";
import {
  outsideTrace,
  parseTraceparent,
  type Span,
  startSpan,
  withTrace,
} from "../shared/trace.ts";
import type { Context } from "./context.ts";
import { isModerator } from "./group_roles.ts";
import { content, sendEnvelope, target, withOwnMedia } from "./send_input.ts";
import { checkRefs } from "./send_refs.ts";

const log = logger("send");

/** How long a clientMsgId is remembered. */
export const DEDUPE_MS = 24 * 60 * 60 * 1000;
/** Most sends checked together, and most sends one `sendMany()` call may carry. */
export const MAX_SENDS_PER_BATCH = 256;
/** Most batches being checked at once. */
const MAX_CHECKS = 1;
/** Most batches whose append is under way at once. */
const MAX_APPENDS = 8;

/**
 * What the dedupe key of a send holds: the whole message until the log has it
 * (a retry appends the very same message), then only the answer, which is all a
 * retry needs.
 */
type Claim =
  | { appended: false; message: AcceptedMessage }
  | { appended: true; id: string; conversationId: string };

/** A send waiting for its batch. */
interface Pending {
  userId: string;
  clientMsgId: string;
  key: string;
  input: Record<string, unknown>;
  /**
   * The send's span in logic, a child of the caller's trace (connect's `send` span): its
   * traceparent goes on the message's record, so task's lines carry the same trace id.
   */
  span: Span;
  resolve: (result: SendResult) => void;
  reject: (error: unknown) => void;
}

/** A send whose conversation, content and references are checked: what its message is made of. */
interface Addressed {
  send: Pending;
  to: Target;
  conversationId: string;
  content: Content;
  replyTo?: ReplyPreview;
}

/** Creates the sending part of the logic service. */
export function sending(ctx: Context) {
  const { store } = ctx;
  const inFlight = new Map<string, Promise<SendResult>>();
  const batcher = sendBatcher(ctx, store.messages.newestAt().catch(() => Infinity));

  /**
   * Checks a send's envelope and queues it, in a span of the current trace (a new trace when
   * there is none); concurrent retries of one send share its answer.
   */
  function submit(userId: string, input: unknown): Promise<SendResult> {
    const { clientMsgId, body } = sendEnvelope(input);
    const key = `${userId}:${clientMsgId}`;
    const running = inFlight.get(key);
    if (running) return running;
    const span = startSpan("accept", { kind: "producer" });
    const promise = batcher.enqueue({ userId, clientMsgId, key, input: body, span });
    inFlight.set(key, promise);
    promise.then(() => span.end(), (error) => span.end(error));
    const forget = () => void inFlight.delete(key);
    promise.then(forget, forget);
    return promise;
  }

  return {
    async send(userId: string, input: unknown): Promise<SendResult> {
      await ctx.refuseDisabled(userId);
      return await submit(userId, input);
    },

    async sendMany(
      userId: string,
      inputs: unknown,
      traceparents: readonly (string | null)[] = [],
    ): Promise<SendOutcome[]> {
      if (!Array.isArray(inputs) || inputs.length === 0 || inputs.length > MAX_SENDS_PER_BATCH) {
        throw new AppError(
          "invalid_argument",
          `Invalid sends: expected 1 to ${MAX_SENDS_PER_BATCH} of them`,
        );
      }
      // A socket whose kick never reached its server: refused here, and connect closes it.
      await ctx.refuseDisabled(userId);
      // Each send in its own trace when the caller gave one (a malformed one is no trace).
      const traces = (Array.isArray(traceparents) ? traceparents : []).map(parseTraceparent);
      const settled = await Promise.allSettled(
        inputs.map((input, i) =>
          withTrace(traces[i], () => {
            try {
              return submit(userId, input);
            } catch (error) {
              return Promise.reject(error);
            }
          })
        ),
      );
      return settled.map((s, i) => {
        if (s.status === "fulfilled") return { result: s.value };
        const error = toAppError(s.reason);
        if (error.code === "internal") {
          log.error("send failed", { error: s.reason, userId, traceId: traces[i]?.traceId });
        }
        return {
          error: {
            code: error.code,
            message: error.message,
            ...(error.retryAfter !== undefined ? { retryAfter: error.retryAfter } : {}),
          },
        };
      });
    },
  };
}

/**
 * Group commit: sends that arrive while batches are being checked wait and form
 * the next batch, so a burst costs a few queries and one append, not a few per
 * send. A few batches are checked at once so the store always has work queued,
 * and appends overlap the checks of later batches, each up to a bound. One
 * connection's sends come in one call and so in one batch, in order.
 *
 * `newestAtStart` is when the newest stored message was sent, as this logic
 * started: with the dedupe port's `heldSince()`, it tells whether a send could
 * repeat one that only the store remembers.
 */
export function sendBatcher(ctx: Context, newestAtStart: Promise<number | null>) {
  const { store } = ctx;
  const startedAt = ctx.now();
  let waiting: Pending[] = [];
  let scheduled = false;
  let checking = 0;
  let appending = 0;

  /** Whether a retried send's first answer may be in the store only. */
  async function storeNeeded(): Promise<boolean> {
    const oldest = ctx.now() - DEDUPE_MS;
    const since = ctx.dedupe.heldSince();
    if (since <= oldest) return false;
    // Keys set before `since` may be gone; sends from before this start are stored.
    if (since > startedAt) return true;
    const newest = await newestAtStart;
    return newest !== null && newest >= oldest;
  }

  function schedule(): void {
    if (scheduled || waiting.length === 0) return;
    if (checking >= MAX_CHECKS || appending >= MAX_APPENDS) return;
    scheduled = true;
    // A microtask later, so the sends of one call (and of one tick) share a batch; outside the
    // trace of the send that scheduled it, since the batch is everyone's.
    queueMicrotask(() =>
      outsideTrace(() => {
        scheduled = false;
        if (waiting.length === 0 || checking >= MAX_CHECKS || appending >= MAX_APPENDS) return;
        const batch = waiting.slice(0, MAX_SENDS_PER_BATCH);
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
      })
    );
  }

  /** The conversation of a send, if the sender may write there; asked one by one after a refusal. */
  async function conversationFor(userId: string, to: Target): Promise<string> {
    if (to.type === "user") {
      // Friendship implies the user exists; only a refusal needs to tell which it is.
      if ((await store.friends.pairs([[userId, to.id]])).has(`${userId}:${to.id}`)) {
        return privateConversationId(userId, to.id);
      }
      if (!(await store.accounts.users([to.id])).length) {
        throw new AppError("not_found", `Cannot send to user "${to.id}": no such user`);
      }
      // Not a friend, or a friend who blocked the sender: one text, so it does not tell which.
      throw new AppError(
        "forbidden",
        `Cannot send to user "${to.id}": not a friend, or not accepting your messages`,
      );
    }
    if (await store.groups.role(to.id, userId)) return groupConversationId(to.id);
    if (!await store.groups.get(to.id)) {
      throw new AppError("not_found", `Cannot send to group "${to.id}": no such group`);
    }
    throw new AppError("forbidden", `Cannot send to group "${to.id}": not a member`);
  }

  /**
   * The conversation of a member's send to a group, if they may send now: a
   * muted member may not until the mute ends, nor a plain member while the group
   * is muted. Null for a non-member (asked again one by one).
   */
  function maySendNow(groupId: string, state: SenderState | undefined): string | null {
    if (!state) return null;
    const { role, mutedUntil, groupMuted } = state;
    if (mutedUntil !== null && mutedUntil > ctx.now()) {
      throw new AppError(
        "forbidden",
        `Cannot send to group "${groupId}": muted in group until ${
          new Date(mutedUntil).toISOString()
        }`,
      );
    }
    if (groupMuted && !isModerator(role)) {
      throw new AppError(
        "forbidden",
        `Cannot send to group "${groupId}": only the owner and admins may send`,
      );
    }
    return groupConversationId(groupId);
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
        return { send, to: target(send.input.to), content: await content(ctx, send.input.content) };
      } catch (error) {
        return { send, error };
      }
    }));
    const pairs = (type: Target["type"]) =>
      checked.flatMap((c) => c.to?.type === type ? [[c.send.userId, c.to.id] as const] : []);
    // Every lookup at once: one round trip each to the dedupe keys and the store.
    const [remembered, stored, friends, senders] = await Promise.all([
      Promise.all(batch.map((send) => ctx.dedupe.get(send.key))),
      storeNeeded().then((needed) =>
        needed
          ? store.messages.byClientIds(
            batch.map((send) => ({ senderId: send.userId, clientMsgId: send.clientMsgId })),
            ctx.now() - DEDUPE_MS,
          )
          : new Map<string, SendResult>()
      ),
      store.friends.pairs(pairs("user")),
      store.groups.senders(
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
          : maySendNow(to.id, senders.get(`${to.id}:${userId}`));
        // Refused: ask again one by one, which also tells which error it is.
        return {
          send,
          to,
          ...c.content,
          conversationId: conversationId ?? await conversationFor(userId, to),
        };
      } catch (error) {
        send.reject(error);
        return undefined;
      }
    }));

    // Replies and mentions, checked for the whole batch once each send's conversation is known.
    const addressed = allowed.filter((p) => p !== undefined);
    const refs = await checkRefs(ctx, addressed.map((p) => ({ userId: p.send.userId, ...p })));
    const valid: Addressed[] = addressed.flatMap((p, i) => {
      const ref = refs[i];
      if (!ref.ok) {
        p.send.reject(ref.error);
        return [];
      }
      return [{ ...p, replyTo: ref.replyTo }];
    });

    // Over the rate: that send alone is refused, with the seconds to wait.
    const accepted = (await Promise.all(
      valid.map((p) =>
        ctx.limit(`send:${p.send.userId}`, ctx.send, "messages").then(
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
        ...withOwnMedia(p.content),
        sentAt: ctx.now(),
        clientMsgId: p.send.clientMsgId,
        ...(p.replyTo ? { replyTo: p.replyTo } : {}),
      };
      const claim: Claim = { appended: false, message };
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
    const todo = claims.flatMap(({ send, claim }) => claim.appended ? [] : [{ send, claim }]);
    try {
      await ctx.log.append(
        todo.map(({ send, claim }) => ({
          type: "message",
          message: claim.message,
          trace: send.span.traceparent,
        })),
      );
      await Promise.all(todo.map(({ send, claim: { message } }) => {
        const answer: Claim = {
          appended: true,
          id: message.id,
          conversationId: message.conversationId,
        };
        return ctx.dedupe.set(send.key, JSON.stringify(answer), DEDUPE_MS);
      }));
    } catch (error) {
      for (const { send } of claims) send.reject(error);
      return;
    }
    const debug = log.enabled("debug");
    for (const { send, claim } of claims) {
      const { id, conversationId } = claim.appended ? claim : claim.message;
      if (debug) {
        log.debug("message accepted", {
          traceId: send.span.traceId,
          messageId: id,
          conversationId,
        });
      }
      send.resolve({ id, clientMsgId: send.clientMsgId, conversationId });
    }
  }

  return {
    /** Queues a send whose envelope was checked; settles once its batch is appended or refused. */
    enqueue(send: Omit<Pending, "resolve" | "reject">): Promise<SendResult> {
      return new Promise<SendResult>((resolve, reject) => {
        waiting.push({ ...send, resolve, reject });
        schedule();
      });
    },
  };
}
