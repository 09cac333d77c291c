/**
 * The import-direction check: layers never import each other, `shared/` imports
 * no layer, the SDK and the web client import no server code, and a technology
 * (npm package) is imported only by the file named
 * after it or by a `main.ts`. Exits 1 naming each violation.
 */
const LAYERS = ["api", "logic", "task", "connect"];
const ROOT = new URL("../", import.meta.url);

/** Which files may import each npm package: the files named after its technology (and main.ts files). */
const TECHNOLOGY_FILES: Record<string, RegExp> = {
  "@electric-sql/pglite": /(^|\/)pglite(_worker)?\.ts$/,
  "farmhash": /^$/,
  "postgres": /(^|\/)postgres\.ts$|^tests\/infra\.ts$/,
  "kafkajs": /(^|\/)kafka\.ts$/,
  "ioredis": /(^|\/)redis\.ts$/,
  "etcd3": /(^|\/)etcd\.ts$/,
  "@grpc/grpc-js": /(^|\/|_)grpc\.ts$/,
  "@grpc/proto-loader": /(^|\/|_)grpc\.ts$/,
  "playwright-core": /^tests\/browser\.ts$/,
  "fast-check": /^tests\/fuzz(_inputs)?\.ts$/,
  "preact": /^web\//,
  // The server of every entry point (node:http) upgrades WebSockets with ws.
  "ws": /^shared\/http_server\.ts$/,
  "@types/ws": /^shared\/http_server\.ts$/,
  // Metrics are defined in one file; the layers import its counters, never prom-client.
  "prom-client": /^shared\/metrics\.ts$/,
  "@opentelemetry/api": /^shared\/trace\.ts$/,
};

/** The package a specifier names: `preact/hooks` is `preact`, `@grpc/grpc-js` stays whole. */
function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return parts.slice(0, specifier.startsWith("@") ? 2 : 1).join("/");
}

async function* files(dir: URL, prefix = ""): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.startsWith(".") || ["node_modules", "data", "results"].includes(entry.name)) {
      continue;
    }
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory) yield* files(new URL(`${entry.name}/`, dir), `${path}/`);
    else if (/\.tsx?$/.test(entry.name)) yield path;
  }
}

function resolve(from: string, specifier: string): string {
  const parts = from.split("/").slice(0, -1);
  for (const part of specifier.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  return parts.join("/");
}

const layerOf = (path: string) => LAYERS.find((layer) => path.startsWith(`${layer}/`));
const problems: string[] = [];

for await (const path of files(ROOT)) {
  const source = await Deno.readTextFile(new URL(path, ROOT));
  const pattern =
    /(?:^|\n)\s*(?:import|export)\s+(?:[^"';]*?\s*from\s*)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
  const specifiers = [...source.matchAll(pattern)].map((m) => m[1] ?? m[2]);
  const own = layerOf(path);
  const isMain = path === "main.ts" || path.endsWith("/main.ts");
  for (const specifier of specifiers) {
    if (specifier.startsWith(".")) {
      const target = resolve(path, specifier);
      const layer = layerOf(target);
      if (path.startsWith("shared/") && layer) {
        problems.push(`${path}: shared/ imports layer ${layer} (${specifier})`);
      }
      if (own && layer && layer !== own && !path.endsWith("_test.ts")) {
        problems.push(`${path}: layer ${own} imports layer ${layer} (${specifier})`);
      }
      if (path.startsWith("client/") && (layer || target === "main.ts")) {
        problems.push(`${path}: the SDK imports server code (${specifier})`);
      }
      if (path.startsWith("web/") && (layer || target === "main.ts")) {
        problems.push(`${path}: the web client imports server code (${specifier})`);
      }
    } else if (!specifier.startsWith("node:")) {
      const allowed = TECHNOLOGY_FILES[packageOf(specifier)];
      if (!allowed) {
        problems.push(`${path}: imports "${specifier}", which is not a declared technology`);
      } else if (!allowed.test(path) && !isMain && !path.endsWith("_test.ts")) {
        problems.push(
          `${path}: imports "${specifier}", allowed only in ${allowed} and main.ts files`,
        );
      }
    }
  }
}

if (problems.length > 0) {
  console.error(`Import direction check failed:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  Deno.exit(1);
}
console.log("Import direction check passed.");
