import assert from "node:assert/strict";
import { OncePerWindow } from "./once_per_window.ts";

Deno.test("OncePerWindow lets a key through once per window, counted from when it was let through", () => {
  let now = 1000;
  const once = new OncePerWindow(2000, () => now);
  assert.equal(once.take("a"), true);
  assert.equal(once.take("b"), true, "keys are independent");
  now = 2500;
  assert.equal(once.take("a"), false);
  now = 2999;
  assert.equal(once.take("a"), false, "a refusal does not restart the window");
  now = 3000;
  assert.equal(once.take("a"), true, "two seconds after the last one let through");
  now = 4999;
  assert.equal(once.take("a"), false, "held back across the swap of generations");
  assert.equal(once.take("b"), true);
});

Deno.test("OncePerWindow forgets keys after two windows, however long it was idle", () => {
  let now = 0;
  const once = new OncePerWindow(100, () => now);
  for (let i = 0; i < 50; i++) once.take(`k${i}`);
  assert.equal(once.size, 50);
  now = 150;
  once.take("x");
  assert.equal(once.size, 51, "the previous window is still remembered");
  now = 260;
  once.take("y");
  assert.equal(once.size, 2, "the first keys are gone");
  now = 10_000;
  assert.equal(once.take("y"), true);
  assert.equal(once.size, 1, "a long pause drops both generations");
});
