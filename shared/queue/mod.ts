/**
 * The status queue port: online/offline transitions from connect to task.
 *
 * Contract: changes are consumed in the order pushed, at least once; a change
 * whose handler throws is handed over again. `close()` lets the change in
 * progress finish.
 */

/** A user's transition to online or offline. */
export interface StatusChange {
  userId: string;
  online: boolean;
  at: number;
}

/** The status queue port. */
export interface StatusQueue {
  push(change: StatusChange): Promise<void>;
  consume(handler: (change: StatusChange) => Promise<void>): void;
  close(): Promise<void>;
}
