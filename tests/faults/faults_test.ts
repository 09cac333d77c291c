/**
 * The fault-injection suite: steady traffic through the SDK while one process
 * or engine fails at a time; then nothing acknowledged may be lost, nothing
 * stored twice, no conversation out of order, and every client must end up
 * showing exactly what is stored. Runs with IM_FAULT_TESTS=1 (`deno task
 * test:faults`), cluster faults on the infrastructure of `deno task infra:up`.
 */
import { assertEquals } from "../assert.ts";
import { startServer, TEST_ENV } from "../harness.ts";
import { INFRA, infraScript, startIsolatedCluster } from "../infra.ts";
import type { Cluster } from "../../scripts/cluster.ts";
import { Traffic, type TrafficReport } from "./traffic.ts";
import { type UpdatesReport, UpdatesTraffic } from "./updates_scenario.ts";
import { type MembershipReport, MembershipTraffic } from "./membership_scenario.ts";

const enabled = Deno.env.get("IM_FAULT_TESTS") === "1";
const RATE = Number(Deno.env.get("IM_FAULT_RATE") ?? "1000");
const PAIRS = Number(Deno.env.get("IM_FAULT_PAIRS") ?? "20");
const GROUP = Number(Deno.env.get("IM_FAULT_GROUP") ?? "50");
const ENV = { ...TEST_ENV, IM_SEND_RATE: "1000", IM_SEND_BURST: "2000", IM_REDELIVER_MS: "5000" };
const rows: string[] = [];
const updateRows: string[] = [];
/** Operations per second of the edit-and-recall scenario (sends, edits and recalls together). */
const UPDATE_RATE = Number(Deno.env.get("IM_FAULT_UPDATE_RATE") ?? "100");
const membershipRows: string[] = [];
/**
 * Membership changes per second of the membership scenario (one at a time). A constant: an
 * `IM_` variable the configuration table does not declare stops the server from starting.
 */
const MEMBERSHIP_RATE = 10;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Deployment {
  url: string;
  cluster?: Cluster;
  /** Embedded only: kill -9 and start again on the same data and port. */
  crashAndRestart?: () => Promise<void>;
  stop(): Promise<void>;
}

async function cluster(): Promise<Deployment> {
  const c = await startIsolatedCluster(ENV);
  return { url: c.url, cluster: c, stop: () => c.stop() };
}

async function embedded(): Promise<Deployment> {
  const dataDir = await Deno.makeTempDir({ prefix: "im-fault-" });
  let server = await startServer({ dataDir, env: ENV });
  const port = new URL(server.url).port;
  return {
    url: server.url,
    async crashAndRestart() {
      await server.stop("SIGKILL");
      server = await startServer({ dataDir, env: { ...ENV, IM_HTTP_PORT: port } });
    },
    stop: async () => void await server.stop("SIGKILL"),
  };
}

function faultTest(
  name: string,
  deploy: () => Promise<Deployment>,
  inject: (d: Deployment) => Promise<void>,
): void {
  Deno.test({
    name: `fault: ${name}`,
    ignore: !enabled,
    sanitizeOps: false,
    sanitizeResources: false,
  }, async () => {
    const deployment = await deploy();
    let traffic: Traffic | null = null;
    try {
      traffic = await Traffic.setup({
        url: deployment.url,
        pairs: PAIRS,
        groupSize: GROUP,
        rate: RATE,
        groupShare: 0.1,
      });
      traffic.start();
      await sleep(3000);
      const before = traffic.counts.acknowledged;
      const recovery = await recoveryAfter(
        () => inject(deployment),
        () => traffic!.counts.acknowledged,
        RATE,
      );
      await restarting;
      await sleep(3000);
      await traffic.stop();
      const report = await traffic.check();
      row(name, report, recovery, traffic.counts.acknowledged - before);
      for (const line of report.details.slice(0, 10)) console.log(`  ${line}`);
      assertEquals(
        {
          lost: report.lost,
          duplicates: report.duplicates,
          reordered: report.reordered,
          clients: report.clientMismatches,
        },
        { lost: 0, duplicates: 0, reordered: 0, clients: 0 },
      );
    } finally {
      await traffic?.close().catch(() => {});
      await deployment.stop();
    }
  });
}

function row(name: string, r: TrafficReport, recovery: string, _sinceFault: number): void {
  const settled = `${(r.settleMs / 1000).toFixed(1)} s`;
  const line =
    `| ${name} | ${r.sent} | ${r.acknowledged} | ${r.timedOut} | ${r.lost} | ${r.duplicates} | ${r.reordered} | ${r.clientMismatches} | ${recovery} | ${settled} |`;
  rows.push(line);
  console.log(line);
}

/**
 * Issue 15's convergence scenario: clients send, edit and recall (tests/faults/updates_scenario.ts)
 * while `inject` fails a process; then every acknowledged operation is in storage once, every
 * message in the state its operations left, and every client's applied view equals the stored one.
 */
function updatesFaultTest(
  name: string,
  deploy: () => Promise<Deployment>,
  inject: (d: Deployment) => Promise<void>,
): void {
  Deno.test({
    name: `fault (edits and recalls): ${name}`,
    ignore: !enabled,
    sanitizeOps: false,
    sanitizeResources: false,
  }, async () => {
    const deployment = await deploy();
    let traffic: UpdatesTraffic | null = null;
    try {
      traffic = await UpdatesTraffic.setup({
        url: deployment.url,
        pairs: 5,
        groupSize: 6,
        rate: UPDATE_RATE,
      });
      traffic.start();
      await sleep(3000);
      const recovery = await recoveryAfter(
        () => inject(deployment),
        () => traffic!.counts.acknowledged,
        UPDATE_RATE,
      );
      await sleep(3000);
      await traffic.stop();
      const report = await traffic.check();
      updateRow(name, report, recovery);
      for (const line of report.details.slice(0, 10)) console.log(`  ${line}`);
      assertEquals(
        {
          lost: report.lost,
          duplicates: report.duplicates,
          reordered: report.reordered,
          refused: report.refused,
          wrongState: report.wrongState,
          wrongEntries: report.wrongEntries,
          clients: report.clientMismatches,
        },
        {
          lost: 0,
          duplicates: 0,
          reordered: 0,
          refused: 0,
          wrongState: 0,
          wrongEntries: 0,
          clients: 0,
        },
      );
    } finally {
      await traffic?.close().catch(() => {});
      await deployment.stop();
    }
  });
}

function updateRow(name: string, r: UpdatesReport, recovery: string): void {
  const line = `| ${name} | ${r.sends} | ${r.edits} | ${r.recalls} | ${r.unknown} | ${
    r.lost + r.duplicates + r.reordered + r.refused + r.wrongState + r.wrongEntries
  } | ${r.clientMismatches} | ${recovery} | ${(r.settleMs / 1000).toFixed(1)} s |`;
  updateRows.push(line);
  console.log(line);
}

/**
 * Issue 16's scenario: the owner and an admin of a group add, remove, promote, demote, mute and
 * unmute members (tests/faults/membership_scenario.ts) while the members send and `inject` fails a
 * process; then the history's system lines, the stored membership, every acknowledged change and
 * every member's view of the group agree.
 */
function membershipFaultTest(
  name: string,
  deploy: () => Promise<Deployment>,
  inject: (d: Deployment) => Promise<void>,
): void {
  Deno.test({
    name: `fault (membership): ${name}`,
    ignore: !enabled,
    sanitizeOps: false,
    sanitizeResources: false,
  }, async () => {
    const deployment = await deploy();
    let traffic: MembershipTraffic | null = null;
    try {
      traffic = await MembershipTraffic.setup({
        url: deployment.url,
        pool: 12,
        rate: MEMBERSHIP_RATE,
      });
      traffic.start();
      await sleep(3000);
      const recovery = await recoveryAfter(
        () => inject(deployment),
        () => traffic!.counts.acknowledged,
        // Changes are one at a time: recovered once they flow at half the rate.
        MEMBERSHIP_RATE * 5,
      );
      await sleep(3000);
      await traffic.stop();
      const report = await traffic.check();
      membershipRow(name, report, recovery);
      for (const line of report.details.slice(0, 10)) console.log(`  ${line}`);
      assertEquals(
        {
          refused: report.refused,
          gaps: report.gaps,
          wrongLines: report.wrongLines,
          lost: report.lost,
          replay: report.replayMismatches,
          views: report.viewMismatches,
        },
        { refused: 0, gaps: 0, wrongLines: 0, lost: 0, replay: 0, views: 0 },
      );
    } finally {
      await traffic?.close().catch(() => {});
      await deployment.stop();
    }
  });
}

function membershipRow(name: string, r: MembershipReport, recovery: string): void {
  const wrong = r.gaps + r.wrongLines + r.lost + r.replayMismatches;
  const line =
    `| ${name} | ${r.adds} | ${r.removals} | ${r.roles} | ${r.mutes} | ${r.messages} | ${r.unknown} | ${wrong} | ${r.viewMismatches} | ${recovery} | ${
      (r.settleMs / 1000).toFixed(1)
    } s |`;
  membershipRows.push(line);
  console.log(line);
}

const kill = (name: string) => async (d: Deployment) => {
  await d.cluster!.signal(name, "SIGKILL");
  await sleep(2000);
  await d.cluster!.restart(name);
};

/**
 * With IM_HA_TESTS=1 the suite runs on the clustered engines of `deno task infra:up --ha` instead
 * (tests/infra.ts points the clusters there): one member of an engine dies at a time, under load,
 * and is started again on its data; nothing acknowledged may be lost meanwhile.
 */
const ha = Deno.env.get("IM_HA_TESTS") === "1";
/**
 * A member started again after its fault, in the background: the traffic goes on meanwhile (a
 * broker recovering its logs takes long), and the test waits for it before it stops the traffic.
 */
let restarting: Promise<void> = Promise.resolve();
/**
 * kill -9 a member of the HA engines and `downMs` of traffic without it; recovery is measured
 * from there, with the member still down (the others must carry on), while it starts again.
 */
const killMember = (member: () => Promise<string>, downMs = 5000) => async () => {
  await infraScript("kill", "--ha", await member());
  await sleep(downMs);
  restarting = infraScript("start", "--ha");
};
if (ha) {
  faultTest("HA: kill -9 a Kafka broker", cluster, killMember(() => Promise.resolve("kafka-2")));
  faultTest("HA: kill -9 a Redis master", cluster, killMember(redisMaster));
  faultTest("HA: kill -9 an etcd member", cluster, killMember(() => Promise.resolve("etcd-2")));
  faultTest(
    "HA: restart the PostgreSQL primary",
    cluster,
    () => infraScript("restart", "--ha", "postgres-primary"),
  );
}

if (!ha) {
  registerSingleNodeFaults();
}

function registerSingleNodeFaults(): void {
  faultTest("kill -9 connect-1", cluster, kill("connect-1"));
  faultTest("kill -9 task-1", cluster, kill("task-1"));
  faultTest("kill -9 logic-1", cluster, kill("logic-1"));
  faultTest("kill -9 api", cluster, kill("api"));
  faultTest("restart Kafka", cluster, () => infraScript("restart", "kafka"));
  faultTest("restart Redis", cluster, () => infraScript("restart", "redis"));
  faultTest("restart PostgreSQL", cluster, () => infraScript("restart", "postgres"));
  faultTest("restart etcd", cluster, () => infraScript("restart", "etcd"));
  faultTest("rolling restart of every layer", cluster, async (d) => {
    for (
      const name of ["logic-1", "logic-2", "task-1", "task-2", "connect-1", "connect-2", "api"]
    ) {
      await d.cluster!.signal(name, "SIGTERM");
      await d.cluster!.restart(name);
    }
  });
  faultTest(
    "embedded: kill -9 and restart on the same data",
    embedded,
    (d) => d.crashAndRestart!(),
  );

  updatesFaultTest("kill -9 logic-1", cluster, kill("logic-1"));
  updatesFaultTest("kill -9 task-1", cluster, kill("task-1"));
  updatesFaultTest("kill -9 connect-1", cluster, kill("connect-1"));
  updatesFaultTest("kill -9 api", cluster, kill("api"));
  updatesFaultTest(
    "embedded: kill -9 and restart on the same data",
    embedded,
    (d) => d.crashAndRestart!(),
  );

  membershipFaultTest("kill -9 logic-1", cluster, kill("logic-1"));
  membershipFaultTest("kill -9 task-1", cluster, kill("task-1"));
  membershipFaultTest("kill -9 connect-1", cluster, kill("connect-1"));
  membershipFaultTest(
    "embedded: kill -9 and restart on the same data",
    embedded,
    (d) => d.crashAndRestart!(),
  );
}

globalThis.addEventListener("unload", () => {
  if (membershipRows.length > 0) {
    console.log(
      `\nMembership changes under faults at ${MEMBERSHIP_RATE} changes/s (a pool of 12):\n` +
        "| fault | adds | removals | roles | mutes | messages | outcome unknown | stored wrong | views differing | recovery | settled |\n" +
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n" +
        membershipRows.join("\n"),
    );
  }
  if (updateRows.length > 0) {
    console.log(
      `\nEdits and recalls under faults at ${UPDATE_RATE} operations/s (5 pairs, a group of 6):\n` +
        "| fault | sends | edits | recalls | outcome unknown | stored wrong | clients differing | recovery | settled |\n" +
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n" + updateRows.join("\n"),
    );
  }
  if (rows.length === 0) return;
  console.log(
    `\nFaults at ${RATE} messages/s (${PAIRS} pairs, a group of ${GROUP}):\n` +
      "| fault | sent | acknowledged | timed out | lost | duplicates | reordered | clients differing | recovery | settled |\n" +
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n" + rows.join("\n"),
  );
});

/**
 * Injects a fault and measures recovery: from the fault until acknowledgements flow again at a
 * tenth of `rate` for a second ("no" if not within a minute).
 */
async function recoveryAfter(
  inject: () => Promise<void>,
  acknowledged: () => number,
  rate: number,
): Promise<string> {
  const started = Date.now();
  await inject();
  let last = acknowledged();
  while (Date.now() - started < 60_000) {
    await sleep(1000);
    const now = acknowledged();
    if (now - last >= rate / 10) return `${((Date.now() - 1000 - started) / 1000).toFixed(1)} s`;
    last = now;
  }
  return "no";
}

/**
 * A Redis member of the HA engines that is a master now (earlier failovers move the role):
 * `redis-N` for the N-th address of `INFRA.redis`, the order `infra.sh` numbers them in.
 */
async function redisMaster(): Promise<string> {
  const urls = INFRA.redis.split(",");
  for (const [i, url] of urls.entries()) {
    const { stdout } = await new Deno.Command("redis-cli", {
      args: ["-h", new URL(url).hostname, "-p", new URL(url).port, "role"],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (new TextDecoder().decode(stdout).startsWith("master")) return `redis-${i + 1}`;
  }
  throw new Error(`no Redis master among ${INFRA.redis}`);
}
