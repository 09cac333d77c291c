/**
 * `deno task build:web`: bundles the web client (`web/main.tsx` into `web/dist/app.js`, which
 * api/web.ts serves) only when an input of the bundle changed, so a restart does not wait for it.
 *
 * The inputs are the local modules of the bundle's module graph (`deno info --json`, a few
 * milliseconds: a `client/` or `shared/` file the page imports counts, a test beside it does not),
 * the configuration that steers resolution (the deno.json files from the entry's folder up, and
 * deno.lock), the npm modules the graph resolved to, the bundle's flags and Deno's version. Their
 * hash and the bundle's own hash are kept beside the bundle in `.source-hash`, which is removed
 * before bundling and written after a successful bundle only: a failed or interrupted build, or a
 * bundle written by anything else, is redone. When the hash cannot be worked out (`deno info`
 * fails or the graph has an error), the bundle is built and nothing is stored.
 */

/** One bundle: its entry module and the file it is written to, relative to the root. */
export interface Bundle {
  entry: string;
  output: string;
}

/** The web client's bundle. */
export const WEB_BUNDLE: Bundle = { entry: "web/main.tsx", output: "web/dist/app.js" };

const FLAGS = ["--quiet", "--platform", "browser", "--minify"];
const CONFIG_FILES = ["deno.json", "deno.jsonc", "package.json"];

/**
 * What a bundle is made of: local files, relative to the root when under it (the configuration
 * files are candidates: one that appears changes resolution too), and the other modules by
 * specifier (an npm one names its version).
 */
export interface BundleInputs {
  files: string[];
  packages: string[];
}

interface GraphModule {
  specifier: string;
  error?: string;
}

interface Graph {
  modules: GraphModule[];
}

/** The stamp file beside a bundle. */
export function stampOf(bundle: Bundle): string {
  return bundle.output.replace(/[^/]*$/, ".source-hash");
}

function bundleArgs(bundle: Bundle): string[] {
  return ["bundle", ...FLAGS, "-o", bundle.output, bundle.entry];
}

function relative(root: URL, specifier: string): string {
  return specifier.startsWith(root.href) ? specifier.slice(root.href.length) : specifier;
}

/** The inputs of a bundle from its module graph; null when the graph cannot be built. */
export async function bundleInputs(root: URL, entry: string): Promise<BundleInputs | null> {
  const { success, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: root,
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!success) return null;
  const graph: Graph = JSON.parse(new TextDecoder().decode(stdout));
  if (graph.modules.some((module) => module.error !== undefined)) return null;
  const files = new Set<string>();
  const packages = new Set<string>();
  for (const { specifier } of graph.modules) {
    if (specifier.startsWith("file:")) files.add(relative(root, specifier));
    else packages.add(specifier);
  }
  // The configuration from the entry's folder up to the root, and the lock file.
  const parts = entry.split("/").slice(0, -1);
  for (let depth = parts.length; depth >= 0; depth--) {
    const folder = parts.slice(0, depth).map((part) => `${part}/`).join("");
    for (const name of CONFIG_FILES) files.add(`${folder}${name}`);
  }
  files.add("deno.lock");
  return { files: [...files].sort(), packages: [...packages].sort() };
}

async function sha256(data: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  return [...digest].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

async function readOrNull(url: URL): Promise<Uint8Array<ArrayBuffer> | null> {
  try {
    return await Deno.readFile(url);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/** The hash of everything a bundle is made from; null when its graph cannot be built. */
export async function inputsHash(root: URL, bundle: Bundle): Promise<string | null> {
  const inputs = await bundleInputs(root, bundle.entry);
  if (!inputs) return null;
  const files = await Promise.all(inputs.files.map(async (path) => {
    const content = await readOrNull(new URL(path, root));
    return `file ${path} ${content ? await sha256(content) : "absent"}`;
  }));
  const lines = [
    `deno ${Deno.version.deno}`,
    `args ${bundleArgs(bundle).join(" ")}`,
    ...files,
    ...inputs.packages.map((name) => `package ${name}`),
  ];
  return await sha256(new TextEncoder().encode(lines.join("\n")));
}

function stampText(inputs: string, output: string): string {
  return `inputs ${inputs}\nbundle ${output}\n`;
}

async function isCurrent(root: URL, bundle: Bundle, inputs: string): Promise<boolean> {
  const stamp = await readOrNull(new URL(stampOf(bundle), root));
  if (!stamp) return false;
  const output = await readOrNull(new URL(bundle.output, root));
  if (!output) return false;
  return new TextDecoder().decode(stamp) === stampText(inputs, await sha256(output));
}

/**
 * Bundles unless the bundle on disk was built by this function from the same inputs; says which.
 * Throws when `deno bundle` fails, with its messages, leaving no stamp.
 */
export async function buildBundle(root: URL, bundle: Bundle): Promise<"built" | "skipped"> {
  const inputs = await inputsHash(root, bundle);
  if (inputs !== null && await isCurrent(root, bundle, inputs)) return "skipped";
  await Deno.remove(new URL(stampOf(bundle), root)).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  const { success, stderr } = await new Deno.Command(Deno.execPath(), {
    args: bundleArgs(bundle),
    cwd: root,
    stdin: "null",
    stdout: "inherit",
  }).output();
  const messages = new TextDecoder().decode(stderr).trim();
  if (!success) {
    throw new Error(`Cannot bundle ${bundle.entry}: ${messages || "deno bundle failed"}`);
  }
  if (messages) console.error(messages);
  if (inputs !== null) {
    const output = await sha256(await Deno.readFile(new URL(bundle.output, root)));
    await Deno.writeTextFile(new URL(stampOf(bundle), root), stampText(inputs, output));
  }
  return "built";
}

if (import.meta.main) {
  try {
    await buildBundle(new URL("../", import.meta.url), WEB_BUNDLE);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    Deno.exit(1);
  }
}
