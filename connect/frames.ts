/** Reading client frames: anything that is not a valid protocol frame is a ProtocolError. */
import { nestsDeeperThan } from "../shared/json_depth.ts";

/** Every op a client may send (the authorization matrix test covers each). */
export const CLIENT_OPS = ["auth", "send", "ack", "read", "typing", "ping"] as const;

/** An op of the protocol's client frames. */
export type ClientOp = (typeof CLIENT_OPS)[number];

/** A frame that breaks the protocol (counts towards the 4400 close). */
export class ProtocolError extends Error {
  /** The frame's op when it names one the protocol knows (a frame of that op, malformed). */
  op?: ClientOp;
}

/** Longest conversation id a typing frame may name (a private id of two 19-digit user ids is 41). */
export const CONVERSATION_ID_MAX = 64;

/** A parsed client frame. */
export type ClientFrame =
  | { op: "auth"; token: string }
  | {
    op: "send";
    clientMsgId?: unknown;
    /**
     * The client's trace context (W3C traceparent), when it sent a string: the server's span
     * of this send is its child if it is well formed, else a new trace starts. Not in `body`,
     * which is logic's input.
     */
    traceparent?: string;
    /** `performance.now()` when the frame was read off the socket (readFrame). */
    receivedAt: number;
    body: Record<string, unknown>;
  }
  | { op: "ack"; conversationId: string; seq: number }
  | { op: "read"; body: Record<string, unknown> }
  | { op: "typing"; conversationId: string }
  | { op: "ping" };

function fields(obj: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) throw new ProtocolError(`Invalid frame: unknown field "${key}"`);
  }
}

/**
 * Parses one text frame; arrays and objects may nest `maxDepth` deep. A ProtocolError names the
 * frame's op when it is one the protocol knows.
 */
export function parseFrame(data: string, maxDepth = 16): ClientFrame {
  if (nestsDeeperThan(data, maxDepth)) {
    throw new ProtocolError(`Invalid frame: JSON nested deeper than ${maxDepth} levels`);
  }
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    throw new ProtocolError("Invalid frame: not JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ProtocolError("Invalid frame: expected a JSON object");
  }
  const obj = value as Record<string, unknown>;
  try {
    return frameOf(obj);
  } catch (error) {
    if (error instanceof ProtocolError && CLIENT_OPS.includes(obj.op as ClientOp)) {
      error.op = obj.op as ClientOp;
    }
    throw error;
  }
}

/** The frame a JSON object is, or a ProtocolError. */
function frameOf(obj: Record<string, unknown>): ClientFrame {
  switch (obj.op) {
    case "auth":
      fields(obj, ["op", "token"]);
      if (typeof obj.token !== "string") {
        throw new ProtocolError("Invalid auth frame: token must be a string");
      }
      return { op: "auth", token: obj.token };
    case "send": {
      fields(obj, ["op", "clientMsgId", "to", "content", "traceparent"]);
      const { op: _, traceparent, ...body } = obj;
      return {
        op: "send",
        clientMsgId: obj.clientMsgId,
        // Anything but a string is ignored as a malformed one would be: never an error.
        ...(typeof traceparent === "string" ? { traceparent } : {}),
        receivedAt: 0,
        body,
      };
    }
    case "ack":
      fields(obj, ["op", "conversationId", "seq"]);
      if (
        typeof obj.conversationId !== "string" || !Number.isSafeInteger(obj.seq) ||
        (obj.seq as number) < 0
      ) {
        throw new ProtocolError(
          "Invalid ack frame: expected conversationId and a non-negative integer seq",
        );
      }
      return { op: "ack", conversationId: obj.conversationId, seq: obj.seq as number };
    case "read": {
      fields(obj, ["op", "conversationId", "seq"]);
      const { op: _, ...body } = obj;
      return { op: "read", body };
    }
    case "typing":
      fields(obj, ["op", "conversationId"]);
      if (
        typeof obj.conversationId !== "string" || obj.conversationId.length === 0 ||
        obj.conversationId.length > CONVERSATION_ID_MAX
      ) {
        throw new ProtocolError(
          `Invalid typing frame: expected a conversationId of 1 to ${CONVERSATION_ID_MAX} characters`,
        );
      }
      return { op: "typing", conversationId: obj.conversationId };
    case "ping":
      fields(obj, ["op"]);
      return { op: "ping" };
    default:
      throw new ProtocolError(
        typeof obj.op === "string"
          ? `Invalid frame: unknown op "${obj.op.slice(0, 32)}"`
          : "Invalid frame: missing op",
      );
  }
}

/** A frame as read off the socket: what it is, or why it is refused. */
export type Incoming = { frame: ClientFrame } | { tooLarge: true } | { invalid: ProtocolError };

/** Limits on a frame read off the socket. */
export interface FrameLimits {
  /** Largest frame, in bytes (a larger one closes the connection with 1009). */
  frameBytes: number;
  /** Deepest nesting of arrays and objects. */
  jsonDepth: number;
}

/** Reads a socket message as it arrives: a frame, too large, or invalid (binary or not protocol). */
export function readFrame(data: unknown, { frameBytes, jsonDepth }: FrameLimits): Incoming {
  if (typeof data !== "string") {
    const size = data instanceof ArrayBuffer ? data.byteLength : (data as Blob).size ?? 0;
    if (size > frameBytes) return { tooLarge: true };
    return { invalid: new ProtocolError("Invalid frame: binary frames are not supported") };
  }
  if (
    data.length > frameBytes ||
    (data.length * 3 > frameBytes && new TextEncoder().encode(data).length > frameBytes)
  ) {
    return { tooLarge: true };
  }
  try {
    const frame = parseFrame(data, jsonDepth);
    // The start of the time to its answer (im_send_accept_seconds), queueing included.
    if (frame.op === "send") frame.receivedAt = performance.now();
    return { frame };
  } catch (error) {
    if (error instanceof ProtocolError) return { invalid: error };
    throw error;
  }
}
