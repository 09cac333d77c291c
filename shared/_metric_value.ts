/** Reading metrics in tests: one series' value, or the sum of the series a label set selects. */
import { registry } from "./metrics.ts";

/**
 * The sum of the series of `name` whose labels include `labels` (0 when none was counted yet).
 * A histogram's `_count`, `_sum` and `_bucket` series are read by those names.
 */
export async function metricValue(
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const base = name.replace(/_(count|sum|bucket)$/, "");
  const metric = registry.getSingleMetric(name) ?? registry.getSingleMetric(base);
  if (!metric) throw new Error(`No metric named ${name}`);
  const { values } = await metric.get();
  let sum = 0;
  for (const value of values) {
    if (((value as { metricName?: string }).metricName ?? base) !== name) continue;
    const matches = Object.entries(labels).every(([key, wanted]) =>
      String((value.labels as Record<string, unknown>)[key]) === wanted
    );
    if (matches) sum += value.value;
  }
  return sum;
}

/** Takes `metricValue()` of each series now; `delta()` later says how much each changed. */
export async function snapshot(
  series: Record<string, [string, Record<string, string>?]>,
): Promise<{ delta(): Promise<Record<string, number>> }> {
  const read = async () => {
    const out: Record<string, number> = {};
    for (const [key, [name, labels]] of Object.entries(series)) {
      out[key] = await metricValue(name, labels);
    }
    return out;
  };
  const before = await read();
  return {
    async delta() {
      const after = await read();
      const out: Record<string, number> = {};
      for (const key of Object.keys(series)) out[key] = after[key] - before[key];
      return out;
    },
  };
}
