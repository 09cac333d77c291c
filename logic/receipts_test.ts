/** Read receipts and read marks over a real store: who hears of a read, coalescing on a fake clock. */
import { assertEquals, assertRejects } from "../tests/assert.ts";
import type { AppError } from "../shared/errors.ts";
import { type LogRecord, recordKey } from "../shared/message_log/mod.ts";
import type { Store } from "../shared/store/mod.ts";
import { stepsOnOneStore } from "./_test_logic.ts";
import { world } from "./_test_world.ts";

const test = stepsOnOneStore("read receipts");

/** A world with receipts in groups of at most 3 members, and a private chat with messages. */
async function people(store: Store) {
  const t = world(store, { limits: { receiptGroupMax: 3 } });
  const [a, b] = [await t.user(), await t.user()];
  await t.friends(a, b);
  const said = [];
  for (let i = 0; i < 6; i++) said.push(await t.say(a, { user: b }, `m${i}`));
  const conversationId = said[0].conversationId;
  const read = (seq: number) => t.logic.read(b, { conversationId, seq });
  /** The receipts published so far, as (recipients or group, seq). */
  const receipts = () =>
    t.log.records.flatMap((r) =>
      r.type === "event" && r.frame.op === "read"
        ? [`${r.userIds.join(",")} ${r.frame.seq}`]
        : r.type === "group_event" && r.frame.op === "read"
        ? [`group ${r.groupId} ${r.frame.seq}`]
        : []
    );
  return { t, a, b, conversationId, read, receipts };
}

test("read(): an advance in a private chat goes to the peer and the reader, keyed by the chat", async (store) => {
  const { t, a, b, conversationId, read, receipts } = await people(store);
  await using _ = t;
  await read(2);
  const record = t.log.records.at(-1)!;
  assertEquals(
    record,
    {
      type: "event",
      userIds: [a, b],
      frame: { op: "read", conversationId, userId: b, seq: 2 },
      membership: undefined,
    } satisfies LogRecord,
  );
  assertEquals(recordKey(record), conversationId);
  await t.clock.tick(5000);
  await read(2);
  await read(1);
  assertEquals(receipts(), [`${a},${b} 2`], "no advance, no event");
});

test("read(): one event a second; advances within it go out when it ends, with the highest seq", async (store) => {
  const { t, a, b, read, receipts } = await people(store);
  await using _ = t;
  const to = `${a},${b}`;
  await read(1);
  await t.clock.tick(100);
  await read(2);
  await t.clock.tick(400);
  await read(4);
  assertEquals(receipts(), [`${to} 1`]);
  await t.clock.tick(499);
  assertEquals(receipts(), [`${to} 1`], "not before the second ends");
  await t.clock.tick(1);
  assertEquals(receipts(), [`${to} 1`, `${to} 4`]);
  await t.clock.tick(200);
  await read(5);
  assertEquals(receipts().length, 2, "a second from the deferred one");
  await t.clock.tick(800);
  assertEquals(receipts(), [`${to} 1`, `${to} 4`, `${to} 5`]);
  await t.clock.tick(1500);
  await read(6);
  assertEquals(receipts().at(-1), `${to} 6`, "a quiet second later: at once");
  assertEquals(t.clock.pending, 0);
});

test("read(): coalescing is per reader and conversation", async (store) => {
  const { t, a, b, conversationId, read, receipts } = await people(store);
  await using _ = t;
  await read(1);
  await t.logic.read(a, { conversationId, seq: 6 });
  assertEquals(receipts(), [`${a},${b} 1`, `${b},${a} 6`]);
});

test("read(): coalesced across logic instances, which share the limiter", async (store) => {
  const { t, a, b, conversationId, receipts } = await people(store);
  await using _ = t;
  const twin = t.twin();
  await t.logic.read(b, { conversationId, seq: 1 });
  await t.clock.tick(100);
  await twin.read(b, { conversationId, seq: 3 });
  await t.logic.read(b, { conversationId, seq: 4 });
  await t.clock.tick(899);
  assertEquals(receipts(), [`${a},${b} 1`]);
  await t.clock.tick(1);
  // Each instance sends when the bucket lets it, one a second, and sends the stored mark
  // when it is higher than what waits on it (3 waited on the twin, 4 is stored): a burst
  // spread over instances ends with the reader's highest mark, whichever sends last.
  assertEquals(receipts(), [`${a},${b} 1`, `${a},${b} 4`]);
  await t.clock.tick(999);
  assertEquals(receipts().length, 2);
  await t.clock.tick(1);
  assertEquals(receipts(), [`${a},${b} 1`, `${a},${b} 4`, `${a},${b} 4`]);
});

test("read(): small groups hear it as one group push, larger ones only the reader", async (store) => {
  const t = world(store, { limits: { receiptGroupMax: 3 } });
  await using _ = t;
  const [a, b, c, d] = [await t.user(), await t.user(), await t.user(), await t.user()];
  const small = await t.group(a, [b, c]);
  const large = await t.group(a, [b, c, d]);
  for (const group of [small, large]) await t.say(a, { group }, "hello");
  await t.logic.read(b, { conversationId: `g:${small}`, seq: 1 });
  await t.logic.read(b, { conversationId: `g:${large}`, seq: 1 });
  const [toSmall, toLarge] = t.log.records.slice(-2);
  assertEquals(toSmall, {
    type: "group_event",
    groupId: small,
    frame: { op: "read", conversationId: `g:${small}`, userId: b, seq: 1 },
  });
  assertEquals(recordKey(toSmall), `g:${small}`);
  assertEquals(toLarge.type === "event" && toLarge.userIds, [b]);
  assertEquals(recordKey(toLarge), `g:${large}`);
});

test("close() clears the timers of advances still waiting", async (store) => {
  const { t, read, receipts } = await people(store);
  await using _ = t;
  await read(1);
  await read(2);
  assertEquals(t.clock.pending, 1);
  t.logic.close();
  assertEquals(t.clock.pending, 0);
  await t.clock.tick(5000);
  assertEquals(receipts().length, 1);
});

test("reads(): every mark, for any participant; others get the history's errors", async (store) => {
  const { t, a, b, conversationId, read } = await people(store);
  await using _ = t;
  assertEquals(await t.logic.reads(a, conversationId), []);
  await read(3);
  await t.logic.read(a, { conversationId, seq: 6 });
  const marks = await t.logic.reads(b, conversationId);
  assertEquals(
    marks.sort((x, y) => x.seq - y.seq),
    [{ userId: b, seq: 3 }, { userId: a, seq: 6 }],
  );
  const stranger = await t.user();
  const codeOf = async (call: () => Promise<unknown>) =>
    ((await assertRejects(call)) as AppError).code;
  const query = { after: null, before: null, limit: null };
  for (const id of [conversationId, "g:123456789", "nonsense"]) {
    assertEquals(
      await codeOf(() => t.logic.reads(stranger, id)),
      await codeOf(() => t.logic.history(stranger, id, query)),
      id,
    );
  }
  const group = await t.group(a, [b]);
  await t.say(a, { group }, "hi");
  assertEquals(await codeOf(() => t.logic.reads(stranger, `g:${group}`)), "forbidden");
});

test("read(): a receipt whose limiter or log failed is sent later, and the read itself succeeds", async (store) => {
  const { t, a, b, read, receipts } = await people(store);
  await using _ = t;
  const to = `${a},${b}`;
  const take = t.limiter.take.bind(t.limiter);
  let fail = 0;
  // Only the receipts' bucket fails: the read's own rate limit is another key.
  t.limiter.take = (key, ...rest) =>
    key.startsWith("receipt:") && fail-- > 0
      ? Promise.reject(new Error("limiter down"))
      : take(key, ...rest);
  const quiet = console.error;
  console.error = () => {};
  try {
    await read(1);
    await t.clock.tick(100);
    await read(2); // Waits for the second's end.
    fail = 1; // The flush's turn fails once: it must wait and ask again, not stay silent.
    await t.clock.tick(900);
    assertEquals(receipts(), [`${to} 1`]);
    await t.clock.tick(2000);
    assertEquals(receipts(), [`${to} 1`, `${to} 2`]);
    await t.clock.tick(2000);
    fail = 1; // An advance whose own turn fails: the read succeeds, the receipt follows.
    await read(3);
    await t.clock.tick(2000);
    assertEquals(receipts().at(-1), `${to} 3`);
    await t.clock.tick(2000);
    t.log.failures = 1; // The log refuses the event: the read succeeds, the receipt follows.
    await read(5);
    await t.clock.tick(2000);
    assertEquals(receipts().at(-1), `${to} 5`);
  } finally {
    console.error = quiet;
  }
  assertEquals(t.clock.pending, 0);
});
