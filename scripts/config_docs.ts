/**
 * Writes README.md's configuration tables from the declaration in
 * `shared/config/variables.ts`, between the `config:begin` and `config:end`
 * marker comments, formatted as `deno fmt` formats them.
 *   --write  rewrites README.md
 *   --check  exits 1 if README.md differs from what --write would write (`deno task check`)
 */
import { PROCESSES, type Variable, VARIABLES } from "../shared/config/variables.ts";

const ROOT = new URL("../", import.meta.url);
const BEGIN =
  "<!-- config:begin: generated from shared/config/variables.ts by deno task config:docs -->";
const END = "<!-- config:end -->";

type Row = [string, Variable];

function cell(text: string): string {
  return text.replaceAll("|", "\\|");
}

function shownDefault(variable: Variable): string {
  if (variable.shown) return variable.shown;
  return variable.default === "" ? "(empty)" : `\`${variable.default}\``;
}

function values(variable: Variable): string {
  switch (variable.type) {
    case "int":
      return `${variable.powerOfTwo ? "a power of two, " : ""}${variable.min}–${variable.max}`;
    case "rate":
      return "`COUNT/SECONDS`";
    case "list":
      return `comma-separated, such as \`${variable.example}\``;
    case "string":
      return `such as \`${variable.example}\``;
  }
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map(cell).join(" | ")} |`;
  return [line(header), `|${header.map(() => " --- |").join("")}`, ...rows.map(line)].join("\n");
}

function serverTable(rows: Row[]): string {
  return table(
    ["variable", "default", "values", "read by", "meaning"],
    rows.map(([name, v]) => [
      `\`${name}\``,
      shownDefault(v),
      values(v),
      v.readBy.join(", "),
      v.meaning,
    ]),
  );
}

/** The generated part of the README, before formatting. */
export function renderTables(): string {
  const rows = Object.entries(VARIABLES) as Row[];
  const isProcess = (reader: string) => (PROCESSES as readonly string[]).includes(reader);
  const embedded = rows.filter(([, v]) => v.readBy.includes("embedded"));
  const cluster = rows.filter(([, v]) =>
    !v.readBy.includes("embedded") && v.readBy.some(isProcess)
  );
  const tooling = rows.filter(([, v]) => !v.readBy.some(isProcess));
  return [
    "Read by the embedded mode, and by the layers of a cluster that use them:",
    serverTable(embedded),
    "Read only by the layers of a cluster (the defaults match `deno task infra:up`):",
    serverTable(cluster),
    "Read only by the infrastructure scripts and the tests (the server accepts them and ignores them):",
    table(
      ["variable", "default", "read by", "meaning"],
      tooling.map(([name, v]) => [`\`${name}\``, shownDefault(v), v.readBy.join(", "), v.meaning]),
    ),
  ].join("\n\n");
}

/** The README with its configuration section regenerated and the whole formatted. */
export async function renderReadme(readme: string): Promise<string> {
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`README.md lacks the markers ${BEGIN} … ${END}`);
  const spliced = `${readme.slice(0, begin + BEGIN.length)}\n\n${renderTables()}\n\n${
    readme.slice(end)
  }`;
  return await format(spliced);
}

async function format(markdown: string): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext=md", "-"],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(markdown));
  await writer.close();
  const { success, stdout, stderr } = await child.output();
  if (!success) throw new Error(`deno fmt failed: ${new TextDecoder().decode(stderr)}`);
  return new TextDecoder().decode(stdout);
}

if (import.meta.main) {
  const mode = Deno.args[0];
  if (mode !== "--write" && mode !== "--check") {
    console.error(
      "Usage: deno run --allow-read --allow-write --allow-run scripts/config_docs.ts --write|--check",
    );
    Deno.exit(2);
  }
  const path = new URL("README.md", ROOT);
  const readme = await Deno.readTextFile(path);
  const expected = await renderReadme(readme);
  if (mode === "--write") {
    if (expected !== readme) await Deno.writeTextFile(path, expected);
    console.log(expected === readme ? "README.md is up to date." : "README.md rewritten.");
  } else if (expected !== readme) {
    console.error(
      "README.md's configuration tables differ from shared/config/variables.ts: " +
        "run `deno task config:docs` and commit README.md",
    );
    Deno.exit(1);
  } else {
    console.log("Configuration tables check passed.");
  }
}
