/**
 * The cluster as a whole: clients on both connect servers, discovery when a
 * logic instance stops and comes back, and presence when a connect server dies.
 * Needs `deno task infra:up`; runs when IM_CLUSTER_TESTS=1.
 */
import { assert, assertEquals } from "./assert.ts";
import { ImClient } from "../client/mod.ts";
import { befriend, collect, eventually, newUser, TEST_ENV, waitFor } from "./harness.ts";
import {
  clusterTestsEnabled,
  haTestsEnabled,
  INFRA,
  infraScript,
  startIsolatedCluster,
} from "./infra.ts";
import { EtcdRegistry } from "../shared/registry/etcd.ts";

const ignore = !clusterTestsEnabled();
const opts = { ignore, sanitizeOps: false, sanitizeResources: false };
/** Tests that stop a whole single-node engine: the HA engines lose one member at a time instead. */
const singleNodeOpts = { ...opts, ignore: ignore || haTestsEnabled() };
const text = (t: string) => ({ type: "text" as const, text: t });

/** Connects users until some sit on each of the two connect servers. */
async function spread(url: string, n: number): Promise<ImClient[]> {
  const clients: ImClient[] = [];
  for (let i = 0; i < n; i++) clients.push(await newUser(url));
  const servers = new Set(clients.map((c) => c.serverId));
  assertEquals(servers.size, 2, "clients are balanced over both connect servers");
  return clients;
}

/**
 * Replaces the first client on `serverId` with a device of the same user that
 * does not reconnect, connected to that server (so it goes down with it).
 */
async function stayingDevice(
  url: string,
  clients: ImClient[],
  serverId: string,
): Promise<ImClient> {
  const current = clients.find((c) => c.serverId === serverId)!;
  const device = new ImClient({ baseUrl: url, token: current.token, reconnect: false });
  await current.close();
  while ((await device.connect()) && device.serverId !== serverId) await device.close();
  return device;
}

Deno.test({
  name: "cluster: messages, group fan-out, presence and online counts cross connect servers",
  ...opts,
}, async () => {
  const cluster = await startIsolatedCluster(TEST_ENV);
  try {
    const [a, b, c, d] = await spread(cluster.url, 4);
    const other = [b, c, d].find((x) => x.serverId !== a.serverId)!;
    await befriend(a, other);
    const got = collect(other, "message");
    const sent = await a.send({ type: "user", id: other.self!.id }, text("across servers"));
    await eventually(() => got.length === 1);
    assertEquals(got[0].id, sent.id);

    for (const x of [b, c, d]) if (x !== other) await befriend(a, x);
    const group = await a.createGroup("spread", [b, c, d].map((x) => x.self!.id));
    const all = [a, b, c, d].map((x) => collect(x, "message"));
    await eventually(async () => (await a.group(group.id)).onlineCount === 4);
    const said = await b.send({ type: "group", id: group.id }, text("to everyone"));
    // The text itself (the group's system lines arrive too since version 2).
    await eventually(() => all.every((list) => list.some((m) => m.id === said.id)));

    const counts = [a, b, c].map((x) =>
      waitFor(x, "group_online", (e) => e.groupId === group.id && e.count === 3)
    );
    // Told after IM_PRESENCE_GRACE_MS (3 s by default); the counts within a second.
    const offline = waitFor(a, "presence", (p) => p.userId === d.self!.id && !p.online, 15_000);
    await d.close();
    await Promise.all([...counts, offline]);
    await Promise.all([a, b, c].map((x) => x.close()));
  } finally {
    await cluster.stop();
  }
});

Deno.test({
  name: "cluster: calls go on through the other logic instance, and a restarted one takes traffic",
  ...opts,
}, async () => {
  const cluster = await startIsolatedCluster(TEST_ENV);
  try {
    const a = await newUser(cluster.url);
    const b = await newUser(cluster.url);
    await befriend(a, b);
    const got = collect(b, "message");
    await cluster.signal("logic-1", "SIGKILL");
    // Within the lease TTL (3 s here) every call still succeeds: idempotent ones fail over at once.
    for (let i = 0; i < 10; i++) {
      await a.me();
      await a.send({ type: "user", id: b.self!.id }, text(`while logic-1 is down ${i}`));
    }
    await eventually(() => got.length === 10);
    await newUser(cluster.url, { connect: false });

    await cluster.restart("logic-1");
    await cluster.signal("logic-2", "SIGTERM");
    for (let i = 0; i < 5; i++) {
      await a.send({ type: "user", id: b.self!.id }, text(`only logic-1 ${i}`));
    }
    await newUser(cluster.url, { connect: false });
    await eventually(() => got.length === 15);
    assertEquals(got.map((m) => m.seq), Array.from({ length: 15 }, (_, i) => i + 1));
    await Promise.all([a.close(), b.close()]);
  } finally {
    await cluster.stop();
  }
});

Deno.test({
  name:
    "cluster: users of a killed connect server go offline within the lease and back online on reconnect",
  ...opts,
}, async () => {
  // Offlines told at once: the time measured is the lease's.
  const cluster = await startIsolatedCluster({ ...TEST_ENV, IM_PRESENCE_GRACE_MS: "0" });
  try {
    const clients = await spread(cluster.url, 4);
    const watcher = clients.find((c) => c.serverId === "connect-2")!;
    // A device that stays down shows its user offline; it comes back as a new session.
    const victim = await stayingDevice(cluster.url, clients, "connect-1");
    await befriend(watcher, victim);
    const offline = waitFor(
      watcher,
      "presence",
      (p) => p.userId === victim.self!.id && !p.online,
      15_000,
    );
    const started = Date.now();
    await cluster.signal("connect-1", "SIGKILL");
    await offline;
    const elapsed = Date.now() - started;
    assert(elapsed < 3000 + 5000, `offline after ${elapsed} ms`);
    const back = new ImClient({ baseUrl: cluster.url, token: victim.token });
    const online = waitFor(
      watcher,
      "presence",
      (p) => p.userId === victim.self!.id && p.online,
      20_000,
    );
    await back.connect();
    assertEquals((await online).online, true);
    assertEquals(back.serverId, "connect-2", "/api/connect no longer offers the dead server");
    await Promise.all([...clients, back].map((c) => c.close()));
  } finally {
    await cluster.stop();
  }
});

Deno.test({
  name:
    "cluster: a connect server restarted at once under its id clears the routes of its previous life",
  ...opts,
}, async () => {
  const cluster = await startIsolatedCluster({
    ...TEST_ENV,
    IM_LEASE_TTL_S: "10",
    // Told at once: the 8 s allowed are for the restart to drop the routes.
    IM_PRESENCE_GRACE_MS: "0",
  });
  try {
    const clients = await spread(cluster.url, 4);
    const watcher = clients.find((c) => c.serverId === "connect-2")!;
    const victim = await stayingDevice(cluster.url, clients, "connect-1");
    await befriend(watcher, victim);
    const offline = waitFor(
      watcher,
      "presence",
      (p) => p.userId === victim.self!.id && !p.online,
      8000,
    );
    await cluster.signal("connect-1", "SIGKILL");
    // Well inside the 10 s lease: only the restart itself can tell that the user is gone.
    await cluster.restart("connect-1");
    await offline;
    await Promise.all(clients.map((c) => c.close()));
  } finally {
    await cluster.stop();
  }
});

Deno.test({
  name:
    "cluster: while Redis is down /readyz answers 503 and sends get unavailable, then all recovers",
  ...singleNodeOpts,
}, async () => {
  const cluster = await startIsolatedCluster(TEST_ENV);
  try {
    const [a, b] = [await newUser(cluster.url), await newUser(cluster.url)];
    await befriend(a, b);
    assertEquals(
      await fetch(`${cluster.url}/readyz`).then(async (r) => (await r.body?.cancel(), r.status)),
      200,
    );
    await infraScript("stop", "redis");
    try {
      const ready = await fetch(`${cluster.url}/readyz`);
      assertEquals([ready.status, (await ready.json()).error.code], [503, "unavailable"]);
      const error = await a.send(
        { type: "user", id: b.self!.id },
        text("while Redis is down"),
        "down-1",
      ).catch((e) => e);
      assertEquals(error.code, "unavailable");
    } finally {
      await infraScript("start");
    }
    await eventually(
      async () =>
        (await fetch(`${cluster.url}/readyz`).then(async (
          r,
        ) => (await r.body?.cancel(), r.status))) === 200,
      15_000,
    );
    const got = collect(b, "message");
    // The client retries the refused send with the same clientMsgId: it is stored exactly once,
    // and pushed to the online recipient (a heartbeat missed during the outage must not hide its route).
    const sent = await eventually(async () => {
      try {
        return await a.send(
          { type: "user", id: b.self!.id },
          text("while Redis is down"),
          "down-1",
        );
      } catch {
        return null;
      }
    }, 15_000);
    const stored = await eventually(async () => {
      const history = await b.history(sent.conversationId);
      return history.length > 0 ? history : null;
    }, 15_000);
    assertEquals(stored.map((m) => [m.id, m.clientMsgId, m.seq]), [[sent.id, "down-1", 1]]);
    await eventually(() => got.length === 1, 10_000);
    assertEquals(got[0].id, sent.id);
    await Promise.all([a.close(), b.close()]);
  } finally {
    await cluster.stop();
  }
});

Deno.test({
  name: "cluster: while etcd is down /readyz answers 503, then ready again",
  ...singleNodeOpts,
}, async () => {
  const cluster = await startIsolatedCluster(TEST_ENV);
  const status = () =>
    fetch(`${cluster.url}/readyz`).then(async (r) => (await r.body?.cancel(), r.status));
  try {
    assertEquals(await status(), 200);
    await infraScript("stop", "etcd");
    try {
      await eventually(async () => (await status()) === 503, 10_000);
    } finally {
      await infraScript("start");
    }
    await eventually(async () => (await status()) === 200, 20_000);
  } finally {
    await cluster.stop();
  }
});

Deno.test({
  name:
    "cluster: a connect server that died while no task ran is found by the route sweep when a task starts",
  ...opts,
}, async () => {
  const cluster = await startIsolatedCluster(TEST_ENV);
  try {
    const clients = await spread(cluster.url, 4);
    const watcher = clients.find((c) => c.serverId === "connect-2")!;
    const victim = await stayingDevice(cluster.url, clients, "connect-1");
    await befriend(watcher, victim);
    // No task runs when connect-1 dies: nobody sees its lease expire.
    await Promise.all([cluster.signal("task-1", "SIGTERM"), cluster.signal("task-2", "SIGTERM")]);
    await cluster.signal("connect-1", "SIGKILL");
    // Until etcd lets connect-1's lease expire.
    const registry = await EtcdRegistry.open({
      endpoints: [INFRA.etcd],
      prefix: cluster.processes[0].env.IM_ETCD_PREFIX,
      ttlSeconds: 3,
      onError: () => {},
    });
    await eventually(
      () => !registry.instances("connect").some((i) => i.id === "connect-1"),
      10_000,
    );
    await registry.close();
    const offline = waitFor(
      watcher,
      "presence",
      (p) => p.userId === victim.self!.id && !p.online,
      20_000,
    );
    await cluster.restart("task-1");
    await offline;
    assertEquals((await watcher.user(victim.self!.id)).online, false);
    await Promise.all(clients.map((c) => c.close()));
  } finally {
    await cluster.stop();
  }
});
