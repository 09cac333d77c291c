import assert from "node:assert/strict";
import { SignInGate } from "./sign_in_gate.ts";

Deno.test("SignInGate runs at most max checks at once, the others in their order", async () => {
  const gate = new SignInGate(2);
  const started: number[] = [];
  const finish: (() => void)[] = [];
  const runs = [0, 1, 2, 3].map((i) =>
    gate.run(() => {
      started.push(i);
      return new Promise<number>((resolve) => finish[i] = () => resolve(i));
    })
  );
  await Promise.resolve();
  assert.deepEqual(started, [0, 1]);
  assert.equal(gate.waiting, 2);
  finish[1]();
  await runs[1];
  await Promise.resolve();
  assert.deepEqual(started, [0, 1, 2]);
  finish[0]();
  finish[2]();
  await Promise.all([runs[0], runs[2]]);
  await Promise.resolve();
  assert.deepEqual(started, [0, 1, 2, 3]);
  finish[3]();
  assert.deepEqual(await Promise.all(runs), [0, 1, 2, 3]);
});

Deno.test("SignInGate frees the slot of a check that throws", async () => {
  const gate = new SignInGate(1);
  await gate.run(() => Promise.reject(new Error("refused"))).catch(() => {});
  assert.equal(await gate.run(() => Promise.resolve("next")), "next");
});
