/**
 * The latency plot as SVG, drawn the way HdrHistogram draws one: the x axis is 1/(1−p) on a log
 * scale, so 90 %, 99 %, 99.9 % and 99.99 % are evenly spaced and the tail is as wide as the body;
 * the y axis is the latency in ms. One panel per scenario, each with the relay's curve beside
 * the servers'.
 */

/** The sorted latencies (ms) of one target in one scenario. */
export interface Series {
  /** The target: `embedded`, `cluster` or `relay`. */
  name: string;
  latencies: number[];
}

/** One scenario: a panel of the plot. */
export interface Panel {
  title: string;
  series: Series[];
}

const COLORS: Record<string, string> = {
  embedded: "#1f77b4",
  cluster: "#2ca02c",
  relay: "#7f7f7f",
};
const OTHER_COLORS = ["#d62728", "#9467bd", "#ff7f0e", "#8c564b"];
/** Decades of 1/(1−p) on the x axis: 0 %, 90 %, 99 %, 99.9 %, 99.99 %. */
const DECADES = 4;
const X_LABELS = ["0%", "90%", "99%", "99.9%", "99.99%"];

const PANEL_WIDTH = 470, PANEL_HEIGHT = 290, COLUMNS = 2;
const PAD = { left: 62, right: 30, top: 34, bottom: 46 };
const HEADER = 78;

const escape = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function colorOf(name: string, others: string[]): string {
  if (COLORS[name]) return COLORS[name];
  if (!others.includes(name)) others.push(name);
  return OTHER_COLORS[others.indexOf(name) % OTHER_COLORS.length];
}

/** The latency at percentile p of sorted values. */
function at(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/** A round step for about five ticks up to `max`, and the axis top it gives. */
function yScale(max: number): { step: number; top: number } {
  const raw = Math.max(max, 0.01) / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  // Some room above the highest point, so a curve does not run along the frame.
  return { step, top: Math.ceil((max * 1.04) / step) * step || step };
}

/** The points of a curve: the latency at each 1/50 of a decade, as far as the samples reach. */
function curvePoints(sorted: number[]): [number, number][] {
  // Past 1−1/n a percentile is the maximum: stop there, as HdrHistogram does.
  const reach = Math.min(DECADES, Math.log10(sorted.length));
  const points: [number, number][] = [];
  for (let k = 0; k <= reach * 50; k++) {
    const decade = k / 50;
    points.push([decade, at(sorted, 1 - 10 ** -decade)]);
  }
  if (reach < DECADES && points.at(-1)![0] < reach) points.push([reach, sorted.at(-1)!]);
  return points;
}

function panelSvg(panel: Panel, x0: number, y0: number, others: string[]): string {
  const width = PANEL_WIDTH - PAD.left - PAD.right;
  const height = PANEL_HEIGHT - PAD.top - PAD.bottom;
  const series = panel.series.filter((s) => s.latencies.length > 0);
  const max = Math.max(...series.flatMap((s) => curvePoints(s.latencies).map(([, v]) => v)), 0);
  const { step, top } = yScale(max);
  const sx = (decade: number) => x0 + PAD.left + (width * decade) / DECADES;
  const sy = (ms: number) => y0 + PAD.top + height * (1 - ms / top);
  const parts = [
    `<text x="${x0 + PAD.left}" y="${y0 + 20}" font-size="14" font-weight="bold">${
      escape(panel.title)
    }</text>`,
  ];
  const digits = step < 0.1 ? 2 : step < 1 ? 1 : 0;
  for (let v = 0; v <= top + step / 2; v += step) {
    parts.push(
      `<line x1="${sx(0)}" x2="${sx(DECADES)}" y1="${sy(v)}" y2="${sy(v)}" stroke="#e4e4e4"/>`,
      `<text x="${sx(0) - 6}" y="${sy(v) + 4}" text-anchor="end" font-size="11">${
        v.toFixed(digits)
      }</text>`,
    );
  }
  X_LABELS.forEach((label, decade) => {
    parts.push(
      `<line x1="${sx(decade)}" x2="${sx(decade)}" y1="${sy(0)}" y2="${
        sy(top)
      }" stroke="#e4e4e4"/>`,
      `<text x="${sx(decade)}" y="${
        sy(0) + 16
      }" text-anchor="middle" font-size="11">${label}</text>`,
    );
  });
  parts.push(
    `<text x="${sx(DECADES / 2)}" y="${
      y0 + PANEL_HEIGHT - 8
    }" text-anchor="middle" font-size="11" fill="#555">percentile</text>`,
    `<text transform="translate(${x0 + 16} ${
      sy(top / 2)
    }) rotate(-90)" text-anchor="middle" font-size="11" fill="#555">latency (ms)</text>`,
    `<rect x="${sx(0)}" y="${
      sy(top)
    }" width="${width}" height="${height}" fill="none" stroke="#999"/>`,
  );
  for (const s of series) {
    const color = colorOf(s.name, others);
    const dash = s.name === "relay" ? ` stroke-dasharray="6 3"` : "";
    const points = curvePoints(s.latencies).map(([d, v]) =>
      `${sx(d).toFixed(1)},${sy(v).toFixed(1)}`
    );
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${
        points.join(" ")
      }"/>`,
    );
  }
  if (series.length === 0) {
    parts.push(
      `<text x="${sx(DECADES / 2)}" y="${
        sy(top / 2)
      }" text-anchor="middle" font-size="12" fill="#999">no samples</text>`,
    );
  }
  return parts.join("");
}

/** Renders each scenario's latency curves (sorted samples in ms) as one panel of an SVG. */
export function latencySvg(title: string, subtitle: string, panels: Panel[]): string {
  const rows = Math.ceil(panels.length / COLUMNS);
  const width = PANEL_WIDTH * Math.min(COLUMNS, Math.max(1, panels.length));
  const height = HEADER + PANEL_HEIGHT * rows;
  const others: string[] = [];
  const body = panels.map((panel, i) =>
    panelSvg(
      panel,
      (i % COLUMNS) * PANEL_WIDTH,
      HEADER + Math.floor(i / COLUMNS) * PANEL_HEIGHT,
      others,
    )
  );
  const names = [...new Set(panels.flatMap((p) => p.series.map((s) => s.name)))];
  const legend = names.map((name, i) => {
    const x = PAD.left + i * 130;
    const dash = name === "relay" ? ` stroke-dasharray="6 3"` : "";
    return `<line x1="${x}" x2="${x + 28}" y1="${HEADER - 18}" y2="${HEADER - 18}" stroke="${
      colorOf(name, others)
    }" stroke-width="2"${dash}/>` +
      `<text x="${x + 34}" y="${HEADER - 14}" font-size="12">${escape(name)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="sans-serif">` +
    `<rect width="100%" height="100%" fill="white"/>` +
    `<text x="${PAD.left}" y="24" font-size="17" font-weight="bold">${escape(title)}</text>` +
    `<text x="${PAD.left}" y="42" font-size="12" fill="#555">${escape(subtitle)}</text>` +
    `${legend.join("")}${body.join("")}</svg>`;
}
