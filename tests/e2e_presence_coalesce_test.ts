/**
 * End-to-end: presence told sparingly. A reconnect within IM_PRESENCE_GRACE_MS
 * (3 s by default) is never seen by friends, an offline that stands is told
 * after it; a group's online count goes out at most once a second whatever the
 * churn, and the last count is the current one. Runs against the embedded mode
 * and, unchanged, against a cluster (IM_E2E_MODE=cluster: two task processes).
 */
import { assert, assertEquals } from "./assert.ts";
import { ImClient } from "../client/mod.ts";
import { befriend, eventually, newUser, startServer, waitFor } from "./harness.ts";

/** The default grace: what a deployment gets. */
const GRACE_MS = 3000;

const server = await startServer();
globalThis.addEventListener("unload", () => void server.stop("SIGKILL"));
const url = server.url;
const opts = { sanitizeOps: false, sanitizeResources: false };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test(
  "presence: a friend does not see a reconnect within the grace, and sees the offline that stands after it",
  opts,
  async () => {
    const a = await newUser(url);
    const b = await newUser(url);
    let again: ImClient | null = null;
    try {
      await befriend(a, b);
      const bId = b.self!.id;
      await eventually(async () => (await a.user(bId)).online === true);
      const heard: { online: boolean; lastSeenAt?: number }[] = [];
      a.on("presence", (p) => void (p.userId === bId && heard.push(p)));

      // b's only connection drops; the server sees b offline; b is back within the grace.
      await b.close();
      await eventually(async () => (await a.user(bId)).online === false, GRACE_MS - 1000);
      again = new ImClient({ baseUrl: url, token: b.token });
      await again.connect();
      await sleep(GRACE_MS + 1000);
      assertEquals(heard, [], "neither the offline nor the online");
      assertEquals((await a.user(bId)).online, true);

      // Gone for good: told once the grace has passed, with when b left.
      const left = Date.now();
      const offline = waitFor(a, "presence", (p) => p.userId === bId && !p.online, GRACE_MS + 7000);
      await again.close();
      again = null;
      const event = await offline;
      const after = Date.now() - left;
      assert(after >= GRACE_MS - 200, `told ${after} ms after b left`);
      assert(event.lastSeenAt! >= left - 1000, "lastSeenAt is the last close, not the flap's");
      await sleep(500);
      assertEquals(heard.length, 1, JSON.stringify(heard));
      assertEquals((await a.user(bId)).user.lastSeenAt, event.lastSeenAt);
    } finally {
      await Promise.all([a.close(), b.close(), again?.close()]);
    }
  },
);

Deno.test(
  "group_online: under churn a group's count comes at most once a second and ends at the count of now",
  opts,
  async () => {
    const owner = await newUser(url);
    const members = await Promise.all(Array.from({ length: 10 }, () => newUser(url)));
    const devices: ImClient[] = [];
    try {
      const group = await owner.createGroup("churn", []);
      for (const member of members) await member.joinGroup(group.id);
      await eventually(async () => (await owner.group(group.id)).onlineCount === 11);
      // Joins send their own counts (logic's); what is measured starts after them.
      await sleep(1500);
      const counts: { count: number; at: number }[] = [];
      owner.on("group_online", (e) => {
        if (e.groupId === group.id) counts.push({ count: e.count, at: Date.now() });
      });

      // Each member drops and comes back three times, then the first five leave: 70 changes.
      const started = Date.now();
      await Promise.all(members.map(async (member, i) => {
        await member.close();
        for (let round = 0; round < 3; round++) {
          const device = new ImClient({ baseUrl: url, token: member.token });
          await device.connect();
          if (round === 2 && i >= 5) {
            devices.push(device);
            break;
          }
          await device.close();
        }
      }));
      const churned = Date.now() - started;
      await eventually(() => counts.at(-1)?.count === 6, 10_000);
      assertEquals((await owner.group(group.id)).onlineCount, 6);
      await sleep(1500);
      assertEquals(counts.at(-1)?.count, 6, "nothing after the count of now");

      // A second apart at the task; delivery may bring two a little closer.
      const gaps = counts.slice(1).map((c, i) => c.at - counts[i].at);
      assert(gaps.every((gap) => gap >= 800), `counts ${JSON.stringify(counts)}`);
      const span = counts.at(-1)!.at - started;
      assert(
        counts.length <= Math.ceil(span / 1000) + 1,
        `${counts.length} counts in ${span} ms (churn took ${churned} ms)`,
      );
    } finally {
      await Promise.all([owner, ...members, ...devices].map((c) => c.close()));
    }
  },
);
