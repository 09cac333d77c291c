/**
 * What connect counts (the metrics themselves are defined in shared/metrics.ts), with the
 * labelled children made once: a frame, a close or a send counted on the hot path costs a map
 * look-up and prom-client's increment, not a label object each time.
 *
 * Labels stay bounded whatever a client sends: frame ops the protocol does not know count as
 * `other`, close codes the protocol does not use as `other`, error codes are the protocol's
 * closed set.
 */
import { ERROR_CODES, type ErrorCode } from "../shared/errors.ts";
import {
  closes,
  framesIn,
  framesOut,
  rateLimited,
  sendAcceptSeconds,
  sends,
} from "../shared/metrics.ts";
import type { ServerFrame } from "../shared/types.ts";
import { CLIENT_OPS, type Incoming } from "./frames.ts";

/**
 * Every op the server writes, the most frequent first (a pushed frame's op is found by looking
 * for each in turn). A record, so that the type check fails when ServerFrame gains an op this
 * lacks.
 */
const SERVER_OP_ORDER: Record<ServerFrame["op"], true> = {
  message: true,
  sent: true,
  pong: true,
  typing: true,
  read: true,
  presence: true,
  group_online: true,
  error: true,
  ready: true,
  friend_request: true,
  friend_request_cancelled: true,
  friend_added: true,
  profile: true,
  group_update: true,
  group_removed: true,
  group_join_request: true,
  group_join_request_closed: true,
  conversation_update: true,
};

/** Every op the server writes. */
export const SERVER_OPS = Object.keys(SERVER_OP_ORDER) as readonly ServerFrame["op"][];

type Child = { inc(value?: number): void };

const inOther = framesIn.labels("other");
const inByOp = new Map<string, Child>(CLIENT_OPS.map((op) => [op, framesIn.labels(op)]));
const outOther = framesOut.labels("other");
const outByOp = new Map<string, Child>(SERVER_OPS.map((op) => [op, framesOut.labels(op)]));
const outScan: readonly [string, Child][] = SERVER_OPS.map((op) => [op, outByOp.get(op)!]);

/**
 * Counts a client frame read, by its op: a malformed frame of a known op counts as that op;
 * an unknown op, no op, a frame that is no JSON object, binary or too large, as `other`.
 */
export function countFrameIn(incoming: Incoming): void {
  const op = "frame" in incoming
    ? incoming.frame.op
    : "invalid" in incoming
    ? incoming.invalid.op
    : undefined;
  ((op !== undefined && inByOp.get(op)) || inOther).inc();
}

const OP_PREFIX = '{"op":"';
const QUOTE = 34;

/**
 * Counts a frame written: by `op` when the writer knows it, else by the op its text starts with
 * (`{"op":"message",…`, as every server frame is serialized), found without slicing the text.
 */
export function countFrameOut(frame: string, op?: string): void {
  if (op !== undefined) return void (outByOp.get(op) ?? outOther).inc();
  if (frame.startsWith(OP_PREFIX)) {
    const at = OP_PREFIX.length;
    for (const [name, child] of outScan) {
      if (frame.startsWith(name, at) && frame.charCodeAt(at + name.length) === QUOTE) {
        return child.inc();
      }
    }
  }
  outOther.inc();
}

/**
 * Close codes counted as themselves: the protocol's (PROTOCOL.md) and the standard ones a peer
 * or the network gives (1000 normal, 1001 going away, 1005 no code, 1006 no close frame, 1011
 * server error); anything else a client sends is `other`.
 */
export const CLOSE_CODES = [1000, 1001, 1005, 1006, 1008, 1009, 1011, 4400, 4401, 4408, 4429];
const closeOther = closes.labels("other");
const closeByCode = new Map<number, Child>(
  CLOSE_CODES.map((code) => [code, closes.labels(String(code))]),
);

/** Counts a connection closed with `code`. */
export function countClose(code: number): void {
  (closeByCode.get(code) ?? closeOther).inc();
}

const accepted = sends.labels("accepted", "ok");
const refusedByCode = new Map<string, Child>(
  ERROR_CODES.map((code) => [code, sends.labels("refused", code)]),
);

/**
 * Counts a send answered, `code` null when accepted, and the time since its frame was read
 * (`receivedAt`, from `performance.now()`).
 */
export function countSend(code: ErrorCode | null, receivedAt: number): void {
  if (code === null) accepted.inc();
  else (refusedByCode.get(code) ?? refusedByCode.get("internal")!).inc();
  sendAcceptSeconds.observe((performance.now() - receivedAt) / 1000);
}

/**
 * Connect's own limits, by the name `im_rate_limited_total{limit}` counts them under (logic
 * counts its own: `send`, `read`, `login_address`, …).
 */
export type ConnectLimit =
  /** Acks per user on this server (PipelineOptions.ackRate). */
  | "ack"
  /** Typing frames per user on this server that reach logic (TYPING_RATE); past it, dropped. */
  | "typing"
  /** Frames one connection may have queued (PipelineOptions.inbox); past it, closed with 4429. */
  | "queued_frames"
  /** Sessions per user on this server; the next is closed with 4429. */
  | "connections_per_user"
  /** Sockets per client address; the next upgrade gets 429. */
  | "connections_per_address"
  /** Sockets of this server not yet authenticated, from every address; the next upgrade gets 503. */
  | "handshakes"
  /** Sockets per client address not yet authenticated; the next upgrade gets 429. */
  | "unauthenticated_per_address";

const limitChildren = new Map<ConnectLimit, Child>();

/** Counts a refusal by one of connect's limits. */
export function countRateLimited(limit: ConnectLimit): void {
  let child = limitChildren.get(limit);
  if (!child) limitChildren.set(limit, child = rateLimited.labels(limit));
  child.inc();
}
