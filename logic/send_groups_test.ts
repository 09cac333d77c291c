/** Sends to a group on a real store: who may send now (members, mutes, a muted group), in one query a batch. */
import { assertEquals } from "../tests/assert.ts";
import type { GroupStore, Store } from "../shared/store/mod.ts";
import { stepsOnOneStore, testLogic } from "./_test_logic.ts";
import { cast, code } from "./_test_groups.ts";

const test = stepsOnOneStore("sends to a group");

/** The error a send to `group` from `from` gets, as `code: message`. */
async function refusal(
  t: Awaited<ReturnType<typeof cast>>["t"],
  from: string,
  group: string,
): Promise<string> {
  const [outcome] = await t.logic.sendMany(from, [{
    to: { type: "group", id: group },
    clientMsgId: crypto.randomUUID(),
    content: { type: "text", text: "hi" },
  }]);
  return outcome.error ? `${outcome.error.code}: ${outcome.error.message}` : "sent";
}

test("a non-member is forbidden; a member who left or was removed too", async (store) => {
  const { t, owner, alice, stranger, group } = await cast(store);
  await using _ = t;
  assertEquals(
    await refusal(t, stranger, group),
    `forbidden: Cannot send to group "${group}": not a member`,
  );
  await t.logic.removeGroupMember(owner, group, alice);
  assertEquals(await code(() => t.say(alice, { group }, "still here?")), "forbidden");
  assertEquals(await code(() => t.say(alice, { group: "987654321" }, "?")), "not_found");
});

test("a muted member is forbidden until the mute ends, with its time", async (store) => {
  const { t, owner, alice, group } = await cast(store);
  await using _ = t;
  const until = t.clock.now + 60_000;
  await t.logic.updateGroupMember(owner, group, alice, { mutedUntil: until });
  assertEquals(
    await refusal(t, alice, group),
    `forbidden: Cannot send to group "${group}": muted in group until ${
      new Date(until).toISOString()
    }`,
  );
  await t.clock.tick(60_001);
  assertEquals(await refusal(t, alice, group), "sent", "the mute is over");
  await t.logic.updateGroupMember(owner, group, alice, { mutedUntil: t.clock.now + 1000 });
  await t.logic.updateGroupMember(owner, group, alice, { mutedUntil: null });
  assertEquals(await refusal(t, alice, group), "sent", "unmuted");
});

test("in a muted group only the owner and admins send", async (store) => {
  const { t, owner, admin, alice, group } = await cast(store);
  await using _ = t;
  await t.logic.updateGroup(admin, group, { muted: true });
  assertEquals(
    await refusal(t, alice, group),
    `forbidden: Cannot send to group "${group}": only the owner and admins may send`,
  );
  assertEquals(await refusal(t, owner, group), "sent");
  assertEquals(await refusal(t, admin, group), "sent");
  await t.logic.updateGroup(owner, group, { muted: false });
  assertEquals(await refusal(t, alice, group), "sent");
});

test("one senders query for a batch of sends to several groups", async (store: Store) => {
  const { t, owner, alice, group } = await cast(store);
  await using _ = t;
  const other = await t.group(owner, [alice]);
  let asked: (readonly [string, string])[][] = [];
  const groups: GroupStore = Object.create(store.groups);
  groups.senders = (pairs) => (asked.push([...pairs]), store.groups.senders(pairs));
  const logic = testLogic({ store: { ...store, groups } });
  try {
    asked = [];
    const outcomes = await logic.sendMany(
      owner,
      [group, other, group].map((id, i) => ({
        to: { type: "group", id },
        clientMsgId: `batch-${i}`,
        content: { type: "text", text: "hi" },
      })),
    );
    assertEquals(outcomes.map((o) => o.error), [undefined, undefined, undefined]);
    assertEquals(asked.length, 1);
    assertEquals(asked[0].length, 3);
  } finally {
    logic.close();
  }
});

test("a system message is the server's record: no reply to it, no edit or recall of it", async (store) => {
  const { t, owner, admin, group } = await cast(store);
  await using _ = t;
  await t.logic.updateGroup(admin, group, { name: "Renamed" });
  const line = t.log.appended.at(-1)!;
  assertEquals(line.content.type, "system");
  assertEquals(
    await code(() => t.say(owner, { group }, { type: "text", text: "re", replyTo: line.id })),
    "invalid_argument",
  );
  assertEquals(await code(() => t.logic.recallMessage(admin, line.id)), "invalid_argument");
  assertEquals(await code(() => t.logic.recallMessage(owner, line.id)), "invalid_argument");
  const edit = { content: { type: "text", text: "x" } };
  assertEquals(await code(() => t.logic.editMessage(admin, line.id, edit)), "invalid_argument");
});
