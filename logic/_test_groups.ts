/** What the tests of group administration share: a cast of members and readers of the log. */
import { assertRejects } from "../tests/assert.ts";
import type { AppError } from "../shared/errors.ts";
import type { LogRecord } from "../shared/message_log/mod.ts";
import type { Store } from "../shared/store/mod.ts";
import type { Content, ServerFrame } from "../shared/types.ts";
import { world } from "./_test_world.ts";

/** The code a call fails with. */
export async function code(call: () => Promise<unknown>): Promise<string> {
  return ((await assertRejects(call)) as AppError).code;
}

/** A group of an owner, an admin and two plain members, and a stranger, all friends of the owner. */
export async function cast(store: Store, options: Parameters<typeof world>[1] = {}) {
  const t = world(store, options);
  const [owner, admin, alice, bob, stranger] = [
    await t.user(),
    await t.user(),
    await t.user(),
    await t.user(),
    await t.user(),
  ];
  for (const friend of [admin, alice, bob, stranger]) await t.friends(owner, friend);
  const group = await t.group(owner, [admin, alice, bob], { adminIds: [admin] });
  return { t, owner, admin, alice, bob, stranger, group, since: since(t.log.records) };
}

/** Reads the records appended from now on. */
export function since(records: LogRecord[]) {
  const from = records.length;
  const fresh = () => records.slice(from);
  return {
    records: fresh,
    /** The system messages' contents, in order. */
    lines: () =>
      fresh().flatMap((r) =>
        r.type === "message" && r.message.content.type === "system" ? [r.message.content] : []
      ) as Extract<Content, { type: "system" }>[],
    /**
     * The events of one op: who got them (the users named, or every online member of `groupId`,
     * fanned out by the connect servers), and the frame.
     */
    events: <Op extends ServerFrame["op"]>(op: Op) =>
      fresh().flatMap((r) =>
        (r.type === "event" || r.type === "group_event") && r.frame.op === op
          ? [{
            userIds: r.type === "event" ? r.userIds : [],
            groupId: r.type === "group_event" ? r.groupId : undefined,
            frame: r.frame as Extract<ServerFrame, { op: Op }>,
            r,
          }]
          : []
      ),
  };
}

/** Ids sorted, to compare sets of recipients. */
export function sorted(ids: readonly string[]): string[] {
  return [...ids].sort();
}
