/**
 * A real Prometheus (Debian's package) scrapes an embedded server every second while messages
 * flow between a few pairs, and its HTTP API shows what an operator would chart: the accepted
 * send rate near the rate the clients measured, the p99 of send→accepted and accepted→stored,
 * the consumer lag back at zero once the flow stops, and the target up. The answers are printed
 * so a run can be quoted.
 */
import { assert, assertEquals } from "./assert.ts";
import { eventually, friendPair, startServer } from "./harness.ts";
import type { ImClient } from "../client/mod.ts";
import {
  ignoreWithout,
  prometheusBinary,
  scalar,
  show,
  startPrometheus,
  steadySends,
  target,
  waitForTargetsUp,
} from "./prometheus.ts";

const binary = prometheusBinary();

Deno.test({
  name: `Prometheus scraping an embedded server shows the send rate, latencies and consumer lag${
    binary ? "" : " (ignored: no prometheus binary; apt-get install prometheus)"
  }`,
  ignore: ignoreWithout(binary),
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  // A data folder of its own keeps it embedded under IM_E2E_MODE=cluster too: the cluster has
  // its own test (cluster_prometheus_test.ts), scraping every process.
  const server = await startServer({ dataDir: await Deno.makeTempDir({ prefix: "im-e2e-" }) });
  const prometheus = await startPrometheus({ jobs: { im: [target(server.url)] }, interval: "1s" });
  const clients: ImClient[] = [];
  try {
    await waitForTargetsUp(prometheus);
    const pairs = [];
    for (let i = 0; i < 3; i++) pairs.push(await friendPair(server.url));
    clients.push(...pairs.flat());

    const perSecond = 15;
    const seconds = 12;
    const started = Date.now();
    const until = started + seconds * 1000;
    const flow = Promise.all(pairs.map(([a, b]) => steadySends(a, b, perSecond, until)));
    // Mid-flow, after 8 s: the rate of the last 5 s against the clients' own.
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    const midRate = await scalar(
      prometheus,
      'sum(rate(im_sends_total{result="accepted"}[5s]))',
    );
    const sent = (await flow).reduce((sum, n) => sum + n, 0);
    const measured = sent / ((Date.now() - started) / 1000);
    console.log(`clients: ${sent} sends accepted in ${seconds} s, ${measured.toFixed(1)}/s`);
    assert(
      midRate > measured / 2 && midRate < measured * 2,
      `rate ${midRate}/s is near the measured ${measured}/s`,
    );

    // Once the flow stops and a scrape follows: the counter holds every accepted send.
    await eventually(
      async () =>
        (await prometheus.query('sum(im_sends_total{result="accepted"})'))[0]?.value === sent,
      10_000,
    );
    assertEquals(await scalar(prometheus, 'sum(im_sends_total{result="accepted"})'), sent);

    const acceptP99 = await scalar(
      prometheus,
      "histogram_quantile(0.99, sum by (le) (rate(im_send_accept_seconds_bucket[20s])))",
    );
    assert(acceptP99 > 0 && acceptP99 < 2, `send→accepted p99 ${acceptP99} s`);
    assertEquals(
      await scalar(prometheus, "sum(im_send_accept_seconds_count)"),
      sent,
      "one send→accepted observation a send",
    );
    const storeP99 = await scalar(
      prometheus,
      "histogram_quantile(0.99, sum by (le) (rate(im_message_store_delay_seconds_bucket[20s])))",
    );
    assert(storeP99 > 0 && storeP99 < 5, `accepted→stored p99 ${storeP99} s`);

    const lag = await show(prometheus, "im_consumer_lag");
    assert(lag.length > 0, "im_consumer_lag is exposed");
    assert(lag.every((sample) => sample.value >= 0), "lag is never negative");
    await eventually(
      async () => (await prometheus.query("max(im_consumer_lag)"))[0]?.value === 0,
      15_000,
    );
    assertEquals(await scalar(prometheus, "max(im_consumer_lag)"), 0, "the log is drained");
    assertEquals(await scalar(prometheus, 'up{job="im"}'), 1);

    // The process panels and the event-loop alert have data: prom-client's default metrics.
    const cpu = await scalar(prometheus, 'rate(process_cpu_seconds_total{job="im"}[20s])');
    assert(cpu > 0 && cpu < 4, `CPU ${cpu} cores`);
    const rss = await scalar(prometheus, 'process_resident_memory_bytes{job="im"}');
    assert(rss > 20e6 && rss < 2e9, `resident memory ${rss} bytes`);
    const loop = await scalar(prometheus, 'nodejs_eventloop_lag_p99_seconds{job="im"}');
    assert(loop > 0 && loop < 1, `event-loop delay p99 ${loop} s`);
  } finally {
    await Promise.all(clients.map((client) => client.close()));
    await prometheus.stop();
    await server.stop();
  }
});
