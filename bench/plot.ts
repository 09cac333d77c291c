/** A latency plot as SVG: the latency at each percentile, one line per run (log scale). */

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];

/** Renders sorted latency samples of each run as percentile curves. */
export function latencySvg(curves: { name: string; latencies: number[] }[]): string {
  const width = 720, height = 420, left = 60, right = 200, top = 20, bottom = 50;
  const max = Math.max(1, ...curves.flatMap((c) => c.latencies.slice(-1)));
  const y = (ms: number) =>
    top +
    (height - top - bottom) * (1 - Math.log10(Math.max(0.1, ms) / 0.1) / Math.log10(max / 0.1));
  const x = (p: number) => left + (width - left - right) * p;
  const lines = curves.map((c, i) => {
    if (c.latencies.length === 0) return "";
    const points = Array.from({ length: 101 }, (_, k) => {
      const p = k / 100;
      const v =
        c.latencies[Math.min(c.latencies.length - 1, Math.floor(p * (c.latencies.length - 1)))];
      return `${x(p).toFixed(1)},${y(v).toFixed(1)}`;
    });
    const color = COLORS[i % COLORS.length];
    return `<polyline fill="none" stroke="${color}" stroke-width="2" points="${
      points.join(" ")
    }"/>` +
      `<text x="${width - right + 10}" y="${
        top + 20 + i * 20
      }" fill="${color}" font-size="13">${c.name}</text>`;
  });
  const ticks = [0.1, 1, 10, 100, 1000, 10000].filter((t) => t <= max * 1.01)
    .map((t) =>
      `<text x="${left - 8}" y="${y(t) + 4}" text-anchor="end" font-size="11">${t} ms</text>` +
      `<line x1="${left}" x2="${width - right}" y1="${y(t)}" y2="${y(t)}" stroke="#eee"/>`
    );
  const xticks = [0, 0.5, 0.9, 0.99, 1].map((p) =>
    `<text x="${x(p)}" y="${height - bottom + 18}" text-anchor="middle" font-size="11">p${
      Math.round(p * 100)
    }</text>`
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">` +
    `<rect width="100%" height="100%" fill="white"/>${ticks.join("")}${xticks.join("")}${
      lines.join("")
    }` +
    `<text x="${left}" y="${
      height - 10
    }" font-size="12">send → receive latency by percentile (log scale)</text></svg>`;
}
