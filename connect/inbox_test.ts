import assert from "node:assert/strict";
import { Inbox } from "./inbox.ts";

Deno.test("Inbox hands items to one worker in order, and refuses past its frames or bytes", async () => {
  const seen: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  const inbox = new Inbox<string>({ frames: 2, bytes: 10 }, async (inbox) => {
    seen.push(inbox.shift()!);
    await gate;
  });
  assert.equal(inbox.push("a", 100), true, "one item alone fits whatever its size");
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(seen, ["a"]);
  assert.equal(inbox.push("b", 6), true);
  assert.equal(inbox.push("c", 6), false, "past the bytes");
  assert.equal(inbox.push("c", 4), true);
  assert.equal(inbox.push("d", 0), false, "past the frames");
  release();
  await inbox.idle();
  assert.deepEqual(seen, ["a", "b", "c"]);
  assert.equal(inbox.busy, false);
});

Deno.test("Inbox.close() drops what is queued; the item in hand finishes and nothing starts after it", async () => {
  const seen: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  const inbox = new Inbox<string>({ frames: 10, bytes: 100 }, async (inbox) => {
    seen.push(inbox.shift()!);
    await gate;
  });
  inbox.push("a", 1);
  await new Promise((resolve) => setTimeout(resolve, 0));
  inbox.push("b", 1);
  inbox.close();
  assert.equal(inbox.length, 0);
  assert.equal(inbox.push("c", 1), false);
  release();
  await inbox.idle();
  assert.deepEqual(seen, ["a"]);
});

Deno.test("Inbox tells onIdle each time its worker stops with nothing queued, never once closed", async () => {
  const idle: number[] = [];
  let handled = 0;
  const inbox = new Inbox<string>(
    { frames: 10, bytes: 100 },
    (inbox) => (inbox.shift(), handled++, Promise.resolve()),
    () => idle.push(handled),
  );
  inbox.push("a", 1);
  inbox.push("b", 1);
  await inbox.idle();
  assert.deepEqual(idle, [2], "once, after both");
  inbox.push("c", 1);
  await inbox.idle();
  assert.deepEqual(idle, [2, 3]);
  let release!: () => void;
  const gated = new Inbox<string>(
    { frames: 10, bytes: 100 },
    async (inbox) => {
      inbox.shift();
      await new Promise<void>((resolve) => release = resolve);
    },
    () => idle.push(-1),
  );
  gated.push("d", 1);
  await new Promise((resolve) => setTimeout(resolve, 0));
  gated.close();
  release();
  await gated.idle();
  assert.deepEqual(idle, [2, 3], "a closed inbox is not idle: it is over");
});
