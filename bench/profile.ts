/**
 * `deno task bench:profile`: runs the pairs (or group) flow against an embedded
 * server started with `--cpu-prof`, then prints where the server's CPU went:
 * self time by area (PGlite's WASM and JS, our code, Deno's runtime) and the
 * hottest functions. The raw profile stays in results/ for Chrome DevTools.
 *   deno task bench:profile [--flow pairs|group|typing] [--pairs 20] [--group 50] [--seconds 6]
 *                           [--rate 500] [--typing 10000]   (typing: the pairs at --rate msg/s, then
 *                           with --typing frames/s; the profile covers the typists' setup too)
 *   deno task bench:profile --cluster ...   (each process of a one-instance cluster; needs infra:up)
 *   deno task bench:profile --summarize FILE.cpuprofile
 */
import { group, pairs } from "./scenarios.ts";
import { typing } from "./typing.ts";
import { clusterTarget, embeddedTarget } from "./targets.ts";

function option(name: string, fallback: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] : fallback;
}

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
/** Prints where the CPU of one profile went. */
async function summarize(path: string): Promise<void> {
  const profile = JSON.parse(await Deno.readTextFile(path)) as {
    nodes: Node[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) =>
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
  );
  const total = [...self.values()].reduce((a, b) => a + b, 0);

  /** Which part of the system a frame belongs to. */
  function area({ functionName, url }: Node["callFrame"]): string {
    if (functionName === "(idle)" || functionName === "(program)") return functionName;
    if (functionName === "(garbage collector)") return "garbage collector";
    if (url.includes("@electric-sql/pglite")) {
      return url.startsWith("wasm") ? "PGlite WASM" : "PGlite JS";
    }
    if (url.startsWith("wasm")) return "PGlite WASM";
    if (url.includes("node_modules") || url.startsWith("npm:")) return "other npm";
    if (url.startsWith("file://")) return `ours: ${url.split("/").slice(-2).join("/")}`;
    if (url.startsWith("ext:")) return "Deno runtime";
    return url ? url : "native";
  }

  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, time] of self) {
    const frame = byId.get(id)!.callFrame;
    const name = area(frame);
    areas.set(name, (areas.get(name) ?? 0) + time);
    const fn = `${frame.functionName || "(anonymous)"} ${frame.url.split("/").slice(-1)[0]}:${
      frame.lineNumber + 1
    }`;
    functions.set(fn, (functions.get(fn) ?? 0) + time);
  }
  const pct = (t: number) => `${(100 * t / total).toFixed(1)} %`.padStart(7);
  const top = (map: Map<string, number>, n: number) =>
    [...map].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, t]) => `${pct(t)}  ${k}`).join("\n");
  console.log(
    `Server CPU profile (${(total / 1e6).toFixed(1)} s sampled) by area:\n${top(areas, 15)}`,
  );
  console.log(`\nHottest functions (self time):\n${top(functions, 12)}`);
}

const given = Deno.args.indexOf("--summarize");
if (given >= 0) {
  await summarize(Deno.args[given + 1]);
  Deno.exit(0);
}

const flow = option("flow", "pairs");
const seconds = Number(option("seconds", "6"));
const dir = `results/profile-${new Date().toISOString().replace(/[:.]/g, "-")}`;
await Deno.mkdir(dir, { recursive: true });
const progress = (line: string) =>
  Deno.stderr.writeSync(new TextEncoder().encode(`\r\x1b[K  ${line}`));

const denoFlags = ["--cpu-prof", `--cpu-prof-dir=${dir}`];
const cluster = Deno.args.includes("--cluster");
const target = cluster ? await clusterTarget({ denoFlags }) : await embeddedTarget({ denoFlags });
// Which process wrote which profile: they are named by pid.
const names = new Map(target.processes().map((p) => [p.pid, p.name]));
const result = flow === "group"
  ? await group(target, { size: Number(option("group", "50")), seconds, progress })
  : flow === "typing"
  ? (await typing(target, {
    pairs: Number(option("pairs", "20")),
    rate: Number(option("rate", "500")),
    typingRate: Number(option("typing", "10000")),
    seconds,
    progress,
  })).loaded
  : await pairs(target, { pairs: Number(option("pairs", "20")), seconds, progress });
await target.stop();
console.error(`\r\x1b[K${flow}: ${result.deliveriesPerSec.toFixed(0)} deliveries/s`);
const files = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".cpuprofile"));
if (files.length === 0) throw new Error(`No profile was written to ${dir}`);
for (const file of files) {
  const pid = Number(/\.(\d+)\.cpuprofile$/.exec(file.name)?.[1]);
  console.log(`\n== ${names.get(pid) ?? `pid ${pid}`} (${dir}/${file.name})`);
  await summarize(`${dir}/${file.name}`);
}
