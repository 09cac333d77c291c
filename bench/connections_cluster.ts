/**
 * The 100,000-connections scenario (issue 19): a cluster on the infrastructure of
 * `deno task infra:up` with enough connect processes that none holds more than
 * `MAX_PER_CONNECT` sockets (the open-file limit here is 20,000 a process), and `count` idle
 * authenticated WebSockets held by load processes (bench/conn_load.ts, each at most
 * `MAX_PER_LOAD`, each connecting to a loopback address of its own), 1–4 per user.
 *
 * Users and their sessions go straight into the cluster's database through the store's own
 * functions (a bearer token per user, stored as its SHA-256 as logic does): registering 40,000
 * users through HTTP would hash 40,000 passwords.
 *
 * Measured: the time to open every connection; per connect process the connections it holds, its
 * RSS growth per connection and its CPU over `idleSeconds` of idleness (the clients ping every
 * 25 s, as the SDK does); each load process's RSS. Then the reconnect storm: one connect process
 * is killed with SIGKILL, and its clients come back as the SDK would (bench/conn_load.ts): the
 * time until every one is `ready` again, how many came back in each second, and what
 * `GET /api/connect` answered meanwhile (the dead server until its etcd lease lapsed).
 */
import { Snowflake } from "../shared/snowflake.ts";
import { openPostgresStore } from "../shared/store/postgres.ts";
import { hashToken } from "../shared/token_hash.ts";
import { newToken } from "../logic/credentials.ts";
import { freshDatabase, startIsolatedCluster } from "../tests/infra.ts";
import { BENCH_ENV } from "./targets.ts";
import { median, processStats, sampleResident } from "./resident.ts";
import type { LoadPlan, LoadReport } from "./conn_load.ts";
import { type LoadProcess, startLoadProcess } from "./load_process.ts";

/** Most sockets one connect process is given (its default cap is the open-file limit less a tenth). */
export const MAX_PER_CONNECT = 17_000;
/** Most sockets one load process holds (it needs descriptors for its reconnects' HTTP too). */
export const MAX_PER_LOAD = 17_000;
/** How many connections a user holds, in turn: 1, 2, 3, 4, 1, … (2.5 on average). */
const CONNECTIONS_PER_USER = [1, 2, 3, 4];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Connect processes for `count` connections: enough that each holds at most MAX_PER_CONNECT
 * even after one of them is killed and its clients have moved to the others.
 */
export function connectInstancesFor(count: number): number {
  return Math.max(2, Math.ceil(count / MAX_PER_CONNECT) + 1);
}

/** What the scenario measured, ready to print. */
export interface ConnectionsClusterResult {
  table: string;
}

/** A running bench/conn_load.ts. */
type Load = LoadProcess<LoadReport>;

const startLoad = (planPath: string): Load =>
  startLoadProcess<LoadReport>("conn_load.ts", planPath, { timeoutMs: 1_800_000 });

/** The value of an unlabelled gauge in a Prometheus text page. */
async function gauge(metricsUrl: string, name: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text);
  return match ? Number(match[1]) : NaN;
}

/** Users with a session each, straight into the database: one token per user. */
export async function makeUsers(
  url: string,
  users: number,
  progress: (line: string) => void,
): Promise<string[]> {
  const store = await openPostgresStore({ url, poolSize: 8 });
  const ids = new Snowflake({ workerId: 1023 });
  const now = Date.now();
  const tokens: string[] = new Array(users);
  const prefix = `c${now.toString(36)}`;
  try {
    let next = 0;
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (next < users) {
        const i = next++;
        if (i % 1000 === 0) progress(`connections: users ${i} / ${users}`);
        const id = ids.next();
        await store.accounts.createUser({
          id,
          username: `${prefix}_${i}`,
          // No password signs in to these accounts: they only ever use their token.
          passwordHash: "",
          nickname: `c${i}`,
          createdAt: now,
        });
        const token = newToken();
        await store.accounts.createSession({
          id: ids.next(),
          tokenHash: await hashToken(token),
          userId: id,
          createdAt: now,
          expiresAt: now + 24 * 3600_000,
          userAgent: "bench",
        });
        tokens[i] = token;
      }
    }));
  } finally {
    await store.close();
  }
  return tokens;
}

const fmt = (n: number, digits = 1) =>
  Number.isFinite(n) ? n.toLocaleString("en", { maximumFractionDigits: digits }) : "–";

/** Runs the scenario; `say` gets milestones, `progress` transient lines. */
export async function connectionsCluster(
  { count, connectInstances = connectInstancesFor(count), idleSeconds = 10, progress, say }: {
    count: number;
    connectInstances?: number;
    idleSeconds?: number;
    progress: (line: string) => void;
    say: (line: string) => void;
  },
): Promise<ConnectionsClusterResult> {
  const perConnect = Math.ceil(count / connectInstances);
  if (perConnect > MAX_PER_CONNECT) {
    throw new Error(
      `${count} connections over ${connectInstances} connect processes is ${perConnect} each: ` +
        `more than ${MAX_PER_CONNECT} (give --connect-instances ${connectInstancesFor(count)})`,
    );
  }
  const database = await freshDatabase();
  say(`connections: a cluster with ${connectInstances} connect processes`);
  const cluster = await startIsolatedCluster({
    ...BENCH_ENV,
    IM_POSTGRES_URL: database,
    IM_HTTP_HOST: "0.0.0.0",
    // Every socket comes from the loopback: no per-address cap may count them.
    IM_MAX_UNAUTHENTICATED_PER_ADDRESS: "1000000",
    IM_MAX_HTTP_CONNECTIONS_PER_ADDRESS: "1000000",
    // The default lease (the tests' 3 s is lost by a connect process starved during the opening).
    IM_LEASE_TTL_S: "5",
  }, { instances: 1, layers: { connect: connectInstances, logic: 2, api: 2 } });
  const loads: Load[] = [];
  const planDir = await Deno.makeTempDir({ prefix: "im-conns-" });
  try {
    // Tokens, one per connection: user j holds CONNECTIONS_PER_USER[j % 4] of them.
    const perUser: number[] = [];
    for (let held = 0; held < count; held += perUser.at(-1)!) {
      perUser.push(Math.min(CONNECTIONS_PER_USER[perUser.length % 4], count - held));
    }
    const started = Date.now();
    const userTokens = await makeUsers(database, perUser.length, progress);
    say(
      `connections: ${perUser.length} users and sessions stored in ${
        fmt((Date.now() - started) / 1000)
      } s`,
    );
    const tokens = perUser.flatMap((n, j) => Array.from({ length: n }, () => userTokens[j]));

    const connects = cluster.processes.filter((p) => p.layer === "connect");
    const servers = connects.map((p) => `ws://127.0.0.1:${p.env.IM_HTTP_PORT}/ws`);
    progress("connections: settling before the baseline");
    await sleep(3000);
    const baseline = await Promise.all(connects.map((p) => sampleResident(p.child.pid)));

    // Load process k takes every connection i with i % loads == k; k connects to 127.0.0.(k+2).
    const loadCount = Math.ceil(count / MAX_PER_LOAD);
    for (let k = 0; k < loadCount; k++) {
      const plan: LoadPlan = {
        // The reconnect storm asks `GET /api/connect` of both api processes, as a load balancer
        // in front of them would spread it.
        api: cluster.urls[k % cluster.urls.length],
        // Rotated so that load process k's connection j lands on server (k + j·loads) % n.
        servers: servers.map((_, s) => servers[(s * loadCount + k) % servers.length]),
        tokens: tokens.filter((_, i) => i % loadCount === k),
        host: `127.0.0.${k + 2}`,
        concurrency: 100,
        pingMs: 25_000,
      };
      const path = `${planDir}/load-${k}.json`;
      await Deno.writeTextFile(path, JSON.stringify(plan));
      loads.push(startLoad(path));
    }
    const openStart = Date.now();
    const watch = setInterval(() => {
      const latest = loads.map((l) => l.reports.findLast((r) => r.event === "progress"));
      const ready = latest.reduce((a, r) => a + (r && "ready" in r ? r.ready : 0), 0);
      progress(`connections: ${ready} / ${count} ready`);
    }, 1000);
    const opened = await Promise.all(loads.map((l) => l.next("opened")));
    clearInterval(watch);
    const openSeconds = (Date.now() - openStart) / 1000;
    const ready = opened.reduce((a, o) => a + o.ready, 0);
    const failed = opened.reduce((a, o) => a + o.failed, 0);
    const errors = new Map<string, number>();
    for (const o of opened) {
      for (const [why, n] of Object.entries(o.errors)) errors.set(why, (errors.get(why) ?? 0) + n);
    }
    say(
      `connections: ${ready} ready, ${failed} failed in ${fmt(openSeconds)} s` +
        (errors.size ? ` (${[...errors].map(([w, n]) => `${n} ${w}`).join(", ")})` : ""),
    );

    progress("connections: settling");
    await sleep(5000);
    const held = await Promise.all(
      connects.map((p) => gauge(p.metricsUrl!, "im_connections_open")),
    );
    const cpuBefore = await Promise.all(connects.map((p) => processStats(p.child.pid)));
    progress(`connections: idle for ${idleSeconds} s`);
    await sleep(idleSeconds * 1000);
    const cpuAfter = await Promise.all(connects.map((p) => processStats(p.child.pid)));
    const after = await Promise.all(connects.map((p) => sampleResident(p.child.pid)));
    // The JavaScript heap in use (garbage not yet collected included) and V8's own total.
    const heapUsed = await Promise.all(
      connects.map((p) => gauge(p.metricsUrl!, "nodejs_heap_size_used_bytes")),
    );
    for (const l of loads) await l.send("status");
    const loadStatus = await Promise.all(loads.map((l) => l.next("status")));
    const load = loadAverage();

    const rows = connects.map((p, i) => {
      const growth = after[i].median - baseline[i].median;
      return `| ${p.name} | ${fmt(held[i], 0)} | ${fmt(baseline[i].median / 2 ** 20)} | ${
        fmt(after[i].median / 2 ** 20)
      } | ${fmt(growth / 1024 / held[i])} | ${fmt(heapUsed[i] / 2 ** 20)} | ${
        fmt(((cpuAfter[i].cpuSeconds - cpuBefore[i].cpuSeconds) / idleSeconds) * 100)
      } |`;
    });
    const totalHeld = held.reduce((a, b) => a + b, 0);
    const perConnection = median(
      connects.map((_, i) => (after[i].median - baseline[i].median) / 1024 / held[i]),
    );
    const loadRows = loadStatus.map((s, k) =>
      `| load-${k + 1} | ${fmt(s.ready, 0)} | ${fmt(s.rssBytes / 2 ** 20)} | ${
        fmt(s.rssBytes / 1024 / Math.max(1, s.ready))
      } |`
    );

    const idleTable = [
      `Connections: ${fmt(count, 0)} asked, ${fmt(ready, 0)} ready (${failed} failed) in ${
        fmt(openSeconds)
      } s; ${perUser.length} users (1–4 connections each); ${connectInstances} connect, 2 logic, ` +
      `1 task, ${cluster.urls.length} api; ${loads.length} load processes; load average ${load} at the idle sample.`,
      "",
      "| connect process | connections held | RSS before (MB) | RSS held (MB) | RSS per connection (KB) | JS heap in use (MB) | idle CPU (% of a core) |",
      "|---|---:|---:|---:|---:|---:|---:|",
      ...rows,
      `| all | ${fmt(totalHeld, 0)} | | | ${fmt(perConnection)} (median) | | |`,
      "",
      "| load process | connections | RSS (MB) | RSS per connection (KB) |",
      "|---|---:|---:|---:|",
      ...loadRows,
    ];
    // Said now: a storm that goes wrong must not lose the idle figures.
    say(idleTable.join("\n"));

    // The storm: connect-1 killed, its clients back through /api/connect.
    const victim = connects[0];
    const victimUrl = servers[0];
    const victimHeld = held[0];
    say(`connections: kill -9 ${victim.name} (${fmt(victimHeld, 0)} connections)`);
    const killedAt = Date.now();
    Deno.kill(victim.child.pid, "SIGKILL");
    const answers = watchConnectAnswers(cluster.url, victimUrl, killedAt);
    const stormCpuBefore = await Promise.all(
      connects.slice(1).map((p) => processStats(p.child.pid)),
    );
    let statuses: Extract<LoadReport, { event: "status" }>[] = [];
    const stormDeadline = Date.now() + 600_000;
    while (Date.now() < stormDeadline) {
      await sleep(1000);
      for (const l of loads) await l.send("status");
      // A load process busy with thousands of reconnects may answer late: the storm goes on.
      const answered = await Promise.all(
        loads.map((l) => l.next("status", 30_000).catch(() => null)),
      );
      if (answered.some((a) => a === null)) {
        progress(
          `storm: a load process did not answer in 30 s (${fmt((Date.now() - killedAt) / 1000)} s)`,
        );
        continue;
      }
      statuses = answered as typeof statuses;
      const down = statuses.reduce((a, s) => a + s.down, 0);
      const back = statuses.reduce((a, s) => a + s.ready, 0);
      progress(`storm: ${back} ready, ${down} down, ${fmt((Date.now() - killedAt) / 1000)} s`);
      if (Date.now() - killedAt > 3000 && down === 0) break;
    }
    const stormSeconds = (Date.now() - killedAt) / 1000;
    const stormCpuAfter = await Promise.all(
      connects.slice(1).map((p) => processStats(p.child.pid)),
    );
    for (const l of loads) await l.send("report");
    const reports = await Promise.all(loads.map((l) => l.next("report")));
    // Only the connections lost since the kill (a connection closed earlier came back then).
    const sinceKill = reports.flatMap((r) =>
      r.lost.map((lost, i) => ({ lost, back: r.back[i], attempts: r.attemptsPerReconnect[i] }))
    ).filter((r) => r.lost >= killedAt);
    const backTimes = sinceKill.map((r) => r.back - killedAt).sort((a, b) => a - b);
    const attempts = sinceKill.map((r) => r.attempts).sort((a, b) => a - b);
    const lostBefore = reports.reduce((a, r) => a + r.lost.length, 0) - sinceKill.length;
    const whyFailed = new Map<string, number>();
    for (const r of reports) {
      for (const [why, n] of Object.entries(r.errors)) {
        whyFailed.set(why, (whyFailed.get(why) ?? 0) + n);
      }
    }
    const down = statuses.reduce((a, s) => a + s.down, 0);
    const perSecond = new Map<number, number>();
    for (const t of backTimes) {
      const s = Math.floor(t / 1000);
      perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
    }
    const peak = Math.max(0, ...perSecond.values());
    const lastSecond = Math.max(0, ...perSecond.keys());
    const spread = Array.from({ length: lastSecond + 1 }, (_, s) => perSecond.get(s) ?? 0);
    const connectAnswers = await answers;
    const stormCpu = connects.slice(1).map((_, i) =>
      (stormCpuAfter[i].cpuSeconds - stormCpuBefore[i].cpuSeconds) / stormSeconds * 100
    );
    const pct = (q: number) =>
      backTimes.length
        ? backTimes[Math.min(backTimes.length - 1, Math.floor(q * backTimes.length))] / 1000
        : NaN;

    const table = [
      ...idleTable,
      "",
      `Reconnect storm: ${victim.name} killed with SIGKILL holding ${
        fmt(victimHeld, 0)
      } connections; ` +
      `${fmt(backTimes.length, 0)} back and ready, ${down} still down, after ${
        fmt(stormSeconds)
      } s.`,
      "",
      "| figure | value |",
      "|---|---:|",
      `| every client back and ready (s after the kill) | ${fmt(backTimes.at(-1)! / 1000, 2)} |`,
      `| half of them back (s) | ${fmt(pct(0.5), 2)} |`,
      `| 99 % back (s) | ${fmt(pct(0.99), 2)} |`,
      `| most back in one second | ${fmt(peak, 0)} |`,
      `| attempts per client (median / p99 / max) | ${
        attempts[Math.floor(attempts.length / 2)]
      } / ${attempts[Math.floor(attempts.length * 0.99)]} / ${attempts.at(-1)} |`,
      `| /api/connect answered the dead server until (s after the kill) | ${
        fmt(connectAnswers.deadUntil / 1000, 2)
      } |`,
      `| /api/connect answers (dead server / live / error) | ${connectAnswers.dead} / ${connectAnswers.live} / ${connectAnswers.errors} |`,
      `| CPU of the surviving connect processes during the storm (% of a core, each) | ${
        stormCpu.map((c) => fmt(c, 0)).join(", ")
      } |`,
      `| failed attempts, by why | ${
        [...whyFailed].map(([why, n]) => `${n} ${why}`).join(", ") || "none"
      } |`,
      `| load average after the storm | ${loadAverage()} |`,
      "",
      `Back per second after the kill: ${spread.join(", ")}.`,
      ...(lostBefore > 0
        ? ["", `${lostBefore} connections were closed by a server before the kill (and came back).`]
        : []),
    ].join("\n");
    return { table };
  } finally {
    for (const l of loads) await l.stop();
    await cluster.stop();
    await Deno.remove(planDir, { recursive: true });
  }
}

/**
 * What `GET /api/connect` answers every 100 ms for 12 s after the kill: how often the dead
 * server's URL, a live one, or an error, and until when the dead one was still given.
 */
async function watchConnectAnswers(
  api: string,
  deadUrl: string,
  killedAt: number,
): Promise<{ dead: number; live: number; errors: number; deadUntil: number }> {
  const port = new URL(deadUrl).port;
  let dead = 0, live = 0, errors = 0, deadUntil = 0;
  while (Date.now() - killedAt < 12_000) {
    try {
      const body = await (await fetch(`${api}/api/connect`)).json() as { url?: string };
      if (body.url && new URL(body.url).port === port) {
        dead++;
        deadUntil = Date.now() - killedAt;
      } else if (body.url) live++;
      else errors++;
    } catch {
      errors++;
    }
    await sleep(100);
  }
  return { dead, live, errors, deadUntil };
}

/** The 1, 5 and 15 minute load averages. */
function loadAverage(): string {
  return Deno.loadavg().map((n) => n.toFixed(2)).join(" ");
}
