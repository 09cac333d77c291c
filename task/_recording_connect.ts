/** A connect server for task's tests: it records every push and takes every kick. */
import type { ConnectService, PushItem } from "../shared/rpc/connect.ts";

export class RecordingConnect implements ConnectService {
  readonly pushes: PushItem[][] = [];
  push(items: PushItem[]): Promise<void> {
    this.pushes.push(items);
    return Promise.resolve();
  }
  kick(): Promise<void> {
    return Promise.resolve();
  }
}
