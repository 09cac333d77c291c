/** The bench's table: one row per figure, beside the relay's where the relay has one. */
import { type FlowResult, percentile } from "./scenarios.ts";

/** One figure of the table. */
export interface Row {
  /** The system measured: `embedded` or `cluster`. */
  target: string;
  scenario: string;
  metric: string;
  value: number;
  /** The relay's figure (NaN when it has none). */
  relay: number;
  unit: string;
  /** Printed instead of the value, when there is no number to give. */
  note?: string;
}

/** A number with as many decimals as its size deserves; "–" for NaN. */
export function formatNumber(n: number): string {
  if (Number.isNaN(n)) return "–";
  const abs = Math.abs(n);
  return abs >= 100 ? n.toFixed(0) : abs >= 10 ? n.toFixed(1) : n.toFixed(2);
}

const withUnit = (n: number, unit: string) =>
  Number.isNaN(n) ? "–" : `${formatNumber(n)}${unit ? ` ${unit}` : ""}`;

/** The rows of a flow: deliveries per second and latency percentiles, beside the relay's. */
export function flowRows(
  target: string,
  scenario: string,
  result: FlowResult,
  relay: FlowResult,
): Row[] {
  const rows: Row[] = [{
    target,
    scenario,
    metric: "deliveries/s",
    value: result.deliveriesPerSec,
    relay: relay.deliveriesPerSec,
    unit: "",
  }];
  for (const [label, p] of [["p50", 0.5], ["p99", 0.99], ["p999", 0.999]] as const) {
    rows.push({
      target,
      scenario,
      metric: `latency ${label}`,
      value: percentile(result.latencies, p),
      relay: percentile(relay.latencies, p),
      unit: "ms",
    });
  }
  return rows;
}

/** The Markdown table of the rows. */
export function table(rows: Row[]): string {
  return [
    "| target | scenario | metric | value | relay | ratio |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows.map((r) => {
      const ratio = Number.isNaN(r.relay) || Number.isNaN(r.value) || r.relay === 0
        ? "–"
        : (r.value / r.relay).toFixed(2);
      return `| ${r.target} | ${r.scenario} | ${r.metric} | ${
        r.note ?? withUnit(r.value, r.unit)
      } | ${withUnit(r.relay, r.unit)} | ${ratio} |`;
    }),
  ].join("\n");
}
