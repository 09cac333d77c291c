/** Routing pushes to the connect servers that hold their recipients: one call per server per batch. */
import type { Presence } from "../shared/presence/mod.ts";
import type { ConnectDirectory, PushItem } from "../shared/rpc/connect.ts";

/** A push addressed by user ids, or to a group with its member ids for routing. */
export type Outgoing =
  | (PushItem & { userIds: string[] })
  | (PushItem & { groupId: string; memberIds: readonly string[] });

/** Sends each item to every server holding one of its recipients, in item order. */
export async function deliver(
  presence: Presence,
  connects: ConnectDirectory,
  items: readonly Outgoing[],
  onError: (error: unknown, serverId: string) => void,
): Promise<void> {
  if (items.length === 0) return;
  const everyone = new Set<string>();
  for (const item of items) {
    for (const id of "memberIds" in item ? item.memberIds : item.userIds) everyone.add(id);
  }
  const routes = await presence.routes([...everyone]);
  const calls: Promise<void>[] = [];
  for (const [serverId, userIds] of routes) {
    const here = new Set(userIds);
    const batch: PushItem[] = [];
    for (const item of items) {
      if ("memberIds" in item) {
        if (item.memberIds.some((id) => here.has(id))) {
          batch.push({ groupId: item.groupId, frame: item.frame, ack: item.ack });
        }
      } else {
        const local = item.userIds.filter((id) => here.has(id));
        if (local.length > 0) batch.push({ ...item, userIds: local });
      }
    }
    const service = connects.connect(serverId);
    if (!service || batch.length === 0) continue;
    calls.push(service.push(batch).catch((error) => onError(error, serverId)));
  }
  await Promise.all(calls);
}
