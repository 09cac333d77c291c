/** One client connection: its socket, its user once authenticated, and its pushes pending ack. */
import type { BucketConnection } from "./bucket.ts";
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
  closed = false;
  /** conversationId → seq → frame, pending the client's ack. */
  readonly #pending = new Map<string, Map<number, string>>();
  readonly #maxPending: number;
  #pendingCount = 0;

  readonly #onClosed: () => void;
  #released = false;

  /**
   * `onClosed` runs once the server closes this connection itself (it may not
   * hear back from a stuck peer); past `maxPending` unacked pushes it does so.
   */
  constructor(
    id: string,
    socket: WebSocket,
    now: number,
    sendBufferBytes: number,
    onClosed: () => void = () => {},
    maxPending = Infinity,
  ) {
    this.#onClosed = onClosed;
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

  /** Writes a frame; a client whose buffer stays over the bound is closed instead of growing it. */
  write(frame: string): void {
    if (this.closed || this.socket.readyState !== WebSocket.OPEN) return;
    if (this.socket.bufferedAmount > this.#sendBufferBytes) {
      this.close(CLOSE.policy, "send buffer full");
      return;
    }
    this.socket.send(frame);
  }

  /** Writes a frame object. */
  send(frame: object): void {
    this.write(JSON.stringify(frame));
  }

  /**
   * Records a push as pending until acked. Returns false if it already was, or
   * if the client already leaves as many unacked as it may: then the
   * connection is closed with 1008 (the client repairs gaps when it is back).
   */
  hold(conversationId: string, seq: number, frame: string): boolean {
    if (this.closed) return false;
    let map = this.#pending.get(conversationId);
    if (map?.has(seq)) return false;
    if (this.#pendingCount >= this.#maxPending) {
      this.close(CLOSE.policy, "too many unacked pushes");
      return false;
    }
    if (!map) this.#pending.set(conversationId, map = new Map());
    map.set(seq, frame);
    this.#pendingCount++;
    return true;
  }

  /** The client has every message up to `seq` of a conversation. */
  ack(conversationId: string, seq: number): void {
    const map = this.#pending.get(conversationId);
    if (!map) return;
    for (const key of map.keys()) {
      if (key <= seq) {
        map.delete(key);
        this.#pendingCount--;
      }
    }
    if (map.size === 0) this.#pending.delete(conversationId);
  }

  pendingFrame(conversationId: string, seq: number): string | undefined {
    return this.closed ? undefined : this.#pending.get(conversationId)?.get(seq);
  }

  resend(frame: string): void {
    this.write(frame);
  }

  /** Pushes pending ack. */
  get pendingCount(): number {
    return this.#pendingCount;
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.#pending.clear();
    this.#pendingCount = 0;
    try {
      this.socket.close(code, reason);
    } catch {
      // Already closing: nothing more to do.
    }
    // A peer that stopped reading never completes the closing handshake: the
    // server forgets the connection now rather than when the socket says so.
    this.#onClosed();
  }

  /** True the first time only: whoever gets it cleans up after this connection. */
  release(): boolean {
    if (this.#released) return false;
    this.#released = true;
    return true;
  }
}
