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
