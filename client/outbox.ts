/** The outbox: sends waiting for the server's answer, sent again on every new session. */
import type { SendResult } from "../shared/types.ts";
import { ImError } from "./http.ts";

interface PendingSend {
  frame: string;
  resolve: (result: SendResult) => void;
  reject: (error: Error) => void;
}

/** Sends by client message id, from the first transmission until `sent`, `error` or a final close. */
export class Outbox {
  readonly #pending = new Map<string, PendingSend>();

  /**
   * Keeps a `send` frame until it is answered and hands it to `transmit` once;
   * a second send of a client message id still in flight is a `conflict`.
   */
  add(clientMsgId: string, frame: string, transmit: (frame: string) => void): Promise<SendResult> {
    if (this.#pending.has(clientMsgId)) {
      return Promise.reject(new ImError("conflict", "Send already in flight", 0));
    }
    return new Promise((resolve, reject) => {
      this.#pending.set(clientMsgId, { frame, resolve, reject });
      transmit(frame);
    });
  }

  /** The frames still unanswered, in the order they were first sent. */
  frames(): string[] {
    return [...this.#pending.values()].map((pending) => pending.frame);
  }

  /** Resolves the send a `sent` frame answers. */
  sent(result: SendResult): void {
    const pending = this.#pending.get(result.clientMsgId);
    this.#pending.delete(result.clientMsgId);
    pending?.resolve({
      id: result.id,
      clientMsgId: result.clientMsgId,
      conversationId: result.conversationId,
    });
  }

  /** Rejects the send an `error` frame refers to; false when `ref` is no send of ours. */
  refused(ref: string | undefined, code: string, message: string): boolean {
    const pending = ref ? this.#pending.get(ref) : undefined;
    if (!pending || !ref) return false;
    this.#pending.delete(ref);
    pending.reject(new ImError(code, message, 0));
    return true;
  }

  /** Rejects every send still waiting: the session ended for good. */
  rejectAll(): void {
    for (const pending of this.#pending.values()) {
      pending.reject(new ImError("unavailable", "Connection closed", 0));
    }
    this.#pending.clear();
  }
}
