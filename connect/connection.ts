/** One client connection: its socket, its user once authenticated, and its pushes pending ack. */
import { pushesPendingAck } from "../shared/metrics.ts";
import type { ServerFrame } from "../shared/types.ts";
import type { BucketConnection } from "./bucket.ts";
import { countFrameOut } from "./metrics.ts";
import type { PendingHolder } from "./redelivery.ts";

/** Close codes of the protocol. */
export const CLOSE = {
  goingAway: 1001,
  tooLarge: 1009,
  badProtocol: 4400,
  unauthenticated: 4401,
  timeout: 4408,
  rateLimited: 4429,
  policy: 1008,
} as const;

/** A WebSocket connection and its protocol state. */
export class Connection implements BucketConnection, PendingHolder {
  readonly id: string;
  readonly socket: WebSocket;
  readonly openedAt: number;
  readonly #sendBufferBytes: number;
  #userId = "";
  tokenHash = "";
  lastSeen: number;
  badFrames = 0;
  rateStrikes = 0;
  /** True once closed, by either side: nothing more is written, held or handled. */
  closed = false;
  /**
   * How it closed: the code the server closed it with, else the peer's (1006 when the peer's
   * socket went without a close frame); null while open.
   */
  closeCode: number | null = null;
  /**
   * conversationId → seq → frame, pending the client's ack; made with the first push held (most
   * connections sit idle: an empty Map each would cost more than the rest of the connection).
   */
  #pending: Map<string, Map<number, string>> | null = null;
  readonly #maxPending: number;
  #pendingCount = 0;

  readonly #onClosed: (connection: Connection) => void;
  #released = false;
  /** The client's address, as the front door counted the socket ("" when not counted). */
  readonly address: string;

  /**
   * `onClosed` runs, given this connection, once the server closes it itself (it may not hear
   * back from a stuck peer): one function may serve every connection. Past `maxPending`
   * unacked pushes the server does so.
   */
  constructor(
    id: string,
    socket: WebSocket,
    now: number,
    sendBufferBytes: number,
    onClosed: (connection: Connection) => void = () => {},
    maxPending = Infinity,
    address = "",
  ) {
    this.#onClosed = onClosed;
    this.address = address;
    this.#maxPending = maxPending;
    this.id = id;
    this.socket = socket;
    this.openedAt = now;
    this.lastSeen = now;
    this.#sendBufferBytes = sendBufferBytes;
  }

  get userId(): string {
    return this.#userId;
  }

  get authenticated(): boolean {
    return this.#userId !== "";
  }

  authenticate(userId: string, tokenHash: string): void {
    this.#userId = userId;
    this.tokenHash = tokenHash;
  }

  /**
   * Writes a frame (counted by `op`, else by the op its text begins with); a client whose buffer
   * stays over the bound is closed instead of growing it.
   */
  write(frame: string, op?: string): void {
    if (this.closed || this.socket.readyState !== WebSocket.OPEN) return;
    if (this.socket.bufferedAmount > this.#sendBufferBytes) {
      this.close(CLOSE.policy, "send buffer full");
      return;
    }
    this.socket.send(frame);
    countFrameOut(frame, op);
  }

  /** Writes a frame object. */
  send(frame: ServerFrame): void {
    this.write(JSON.stringify(frame), frame.op);
  }

  /**
   * Records a push as pending until acked. Returns false if it already was, or
   * if the client already leaves as many unacked as it may: then the
   * connection is closed with 1008 (the client repairs gaps when it is back).
   */
  hold(conversationId: string, seq: number, frame: string): boolean {
    if (this.closed) return false;
    let map = this.#pending?.get(conversationId);
    if (map?.has(seq)) return false;
    if (this.#pendingCount >= this.#maxPending) {
      this.close(CLOSE.policy, "too many unacked pushes");
      return false;
    }
    if (!map) (this.#pending ??= new Map()).set(conversationId, map = new Map());
    map.set(seq, frame);
    this.#pendingCount++;
    pushesPendingAck.inc();
    return true;
  }

  /** The client has every message up to `seq` of a conversation. */
  ack(conversationId: string, seq: number): void {
    const map = this.#pending?.get(conversationId);
    if (!map) return;
    let released = 0;
    for (const key of map.keys()) {
      if (key <= seq) {
        map.delete(key);
        released++;
      }
    }
    this.#pendingCount -= released;
    if (released > 0) pushesPendingAck.dec(released);
    if (map.size === 0) this.#pending!.delete(conversationId);
    if (this.#pending!.size === 0) this.#pending = null;
  }

  pendingFrame(conversationId: string, seq: number): string | undefined {
    return this.closed ? undefined : this.#pending?.get(conversationId)?.get(seq);
  }

  resend(frame: string): void {
    this.write(frame);
  }

  /** Pushes pending ack. */
  get pendingCount(): number {
    return this.#pendingCount;
  }

  /** Closes the socket with `code` (once; later calls do nothing). */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.#end(code);
    try {
      this.socket.close(code, reason);
    } catch {
      // Already closing: nothing more to do.
    }
    // A peer that stopped reading never completes the closing handshake: the
    // server forgets the connection now rather than when the socket says so.
    this.#onClosed(this);
  }

  /** The peer closed the socket (with `code`, if it sent one): the connection is over. */
  peerClosed(code = 1006): void {
    if (!this.closed) this.#end(code);
  }

  /** Marks the connection closed and drops its pending pushes. */
  #end(code: number): void {
    this.closed = true;
    this.closeCode = code;
    this.#pending = null;
    if (this.#pendingCount > 0) pushesPendingAck.dec(this.#pendingCount);
    this.#pendingCount = 0;
  }

  /** True the first time only: whoever gets it cleans up after this connection. */
  release(): boolean {
    if (this.#released) return false;
    this.#released = true;
    return true;
  }
}
