import { assertEquals } from "../tests/assert.ts";
import { RedeliveryQueue } from "./redelivery.ts";
import { metricValue } from "../shared/_metric_value.ts";

function holder() {
  const pending = new Map<string, string>();
  const resent: string[] = [];
  return {
    pending,
    resent,
    pendingFrame: (c: string, s: number) => pending.get(`${c}/${s}`),
    resend: (frame: string) => resent.push(frame),
  };
}

Deno.test("RedeliveryQueue.tick() resends what is due and unacked, and keeps resending", async () => {
  const redelivered = await metricValue("im_redeliveries_total");
  let now = 0;
  const queue = new RedeliveryQueue({ timeoutMs: 1000, now: () => now });
  const h = holder();
  h.pending.set("c/1", "m1");
  h.pending.set("c/2", "m2");
  queue.track(h, "c", 1);
  now = 500;
  queue.track(h, "c", 2);
  now = 999;
  assertEquals(queue.tick(), 0);
  now = 1000;
  assertEquals(queue.tick(), 1);
  assertEquals(h.resent, ["m1"]);
  h.pending.delete("c/2"); // acked
  now = 1500;
  assertEquals(queue.tick(), 0);
  now = 2000;
  assertEquals(queue.tick(), 1);
  assertEquals(h.resent, ["m1", "m1"]);
  h.pending.clear();
  now = 3000;
  assertEquals(queue.tick(), 0);
  assertEquals(queue.size, 0);
  assertEquals(await metricValue("im_redeliveries_total") - redelivered, 2);
});
