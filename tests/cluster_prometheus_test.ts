/**
 * A real Prometheus scrapes every process of a cluster (api, logic×2, connect×2, task×2, each
 * at the URL of its `metrics on http://…/metrics` line, one job a layer) while messages flow
 * between pairs on both connect servers: the send rate and counter summed over the connect
 * instances, the p99 of send→accepted and of accepted→stored, the consumer lag per partition
 * from task back at zero once the flow stops, and every target up and ready. The answers are
 * printed so a run can be quoted. Needs `deno task infra:up`; runs when IM_CLUSTER_TESTS=1.
 */
import { assert, assertEquals } from "./assert.ts";
import { eventually, friendPair, TEST_ENV } from "./harness.ts";
import { clusterTestsEnabled, startIsolatedCluster } from "./infra.ts";
import type { ImClient } from "../client/mod.ts";
import type { ClusterProcess } from "../scripts/cluster.ts";
import {
  prometheusBinary,
  required,
  scalar,
  show,
  startPrometheus,
  steadySends,
  target,
  waitForTargetsUp,
} from "./prometheus.ts";

/** The partitions of the test topic (tests/infra.ts sets IM_KAFKA_PARTITIONS). */
const PARTITIONS = 6;

/** A process's metrics URL, which scripts/cluster.ts reads from its `metrics on …` line. */
function metricsUrl(process: ClusterProcess): string {
  if (!process.metricsUrl) throw new Error(`${process.name} printed no metrics URL`);
  return process.metricsUrl;
}

Deno.test({
  name: "cluster: Prometheus scraping every process shows the send rate, latencies and lag",
  ignore: !clusterTestsEnabled(),
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  required(prometheusBinary(), "prometheus");
  const cluster = await startIsolatedCluster(TEST_ENV);
  const clients: ImClient[] = [];
  let prometheus;
  try {
    const jobs: Record<string, string[]> = {};
    for (const process of cluster.processes) {
      (jobs[process.layer] ??= []).push(target(metricsUrl(process)));
    }
    console.log(`scraping ${JSON.stringify(jobs)}`);
    prometheus = await startPrometheus({ jobs, interval: "1s" });
    await waitForTargetsUp(prometheus);

    const pairs: [ImClient, ImClient][] = [];
    for (let i = 0; i < 4; i++) pairs.push(await friendPair(cluster.url));
    clients.push(...pairs.flat());
    const servers = [...new Set(clients.map((client) => client.serverId))];
    assertEquals(servers.length, 2, "clients sit on both connect servers");
    // Senders on both connect servers where the pairs allow, so the sums cover two instances.
    const senders = pairs.map(([a, b], i): [ImClient, ImClient] =>
      b.serverId === servers[i % 2] && a.serverId !== servers[i % 2] ? [b, a] : [a, b]
    );
    console.log(`senders on ${senders.map(([from]) => from.serverId).join(", ")}`);

    const perSecond = 10;
    const seconds = 12;
    const started = Date.now();
    const until = started + seconds * 1000;
    const flow = Promise.all(senders.map(([a, b]) => steadySends(a, b, perSecond, until)));
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    const midRate = await scalar(
      prometheus,
      'sum(rate(im_sends_total{job="connect", result="accepted"}[5s]))',
    );
    await show(prometheus, 'sum by (instance) (rate(im_sends_total{result="accepted"}[5s]))');
    const sent = (await flow).reduce((sum, n) => sum + n, 0);
    const measured = sent / ((Date.now() - started) / 1000);
    console.log(`clients: ${sent} sends accepted in ${seconds} s, ${measured.toFixed(1)}/s`);
    assert(
      midRate > measured / 2 && midRate < measured * 2,
      `rate ${midRate}/s is near the measured ${measured}/s`,
    );

    const total = 'sum(im_sends_total{job="connect", result="accepted"})';
    await eventually(async () => (await prometheus!.query(total))[0]?.value === sent, 10_000);
    assertEquals(await scalar(prometheus, total), sent, "the connect instances counted each send");

    const acceptP99 = await scalar(
      prometheus,
      "histogram_quantile(0.99, sum by (le) (rate(im_send_accept_seconds_bucket[30s])))",
    );
    assert(acceptP99 > 0 && acceptP99 < 2, `send→accepted p99 ${acceptP99} s`);
    await show(
      prometheus,
      'histogram_quantile(0.99, sum by (le) (rate(im_log_append_seconds_bucket{job="logic"}[30s])))',
    );
    // Each message is stored once, by one task instance.
    await eventually(
      async () =>
        (await prometheus!.query('sum(im_message_store_delay_seconds_count{job="task"})'))[0]
          ?.value >= sent,
      15_000,
    );
    const storeP99 = await scalar(
      prometheus,
      'histogram_quantile(0.99, sum by (le) (rate(im_message_store_delay_seconds_bucket{job="task"}[30s])))',
    );
    assert(storeP99 > 0 && storeP99 < 5, `accepted→stored p99 ${storeP99} s`);
    await show(
      prometheus,
      'histogram_quantile(0.99, sum by (le) (rate(im_message_push_delay_seconds_bucket{job="task"}[30s])))',
    );

    const lag = await show(prometheus, 'im_consumer_lag{job="task"}');
    assert(lag.every((sample) => sample.value >= 0), "lag is never negative");
    const partitions = new Set(lag.map((sample) => sample.metric.partition));
    assertEquals(partitions.size, PARTITIONS, "task reports the lag of every partition");
    const drained = 'max(im_consumer_lag{job="task"})';
    await eventually(async () => (await prometheus!.query(drained))[0]?.value === 0, 20_000);
    await show(prometheus, 'max by (partition) (im_consumer_lag{job="task"})');

    const up = await show(prometheus, "sum by (job) (up)");
    assertEquals(
      Object.fromEntries(up.map((sample) => [sample.metric.job, sample.value])),
      { api: 1, connect: 2, logic: 2, task: 2 },
    );
    const ready = await show(prometheus, "sum by (job) (im_ready)");
    assertEquals(
      Object.fromEntries(ready.map((sample) => [sample.metric.job, sample.value])),
      { api: 1, connect: 2, logic: 2, task: 2 },
    );
  } finally {
    await Promise.all(clients.map((client) => client.close()));
    await prometheus?.stop();
    await cluster.stop();
  }
});
