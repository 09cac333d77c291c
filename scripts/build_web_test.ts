import { assert, assertEquals, assertRejects } from "../tests/assert.ts";
import { buildBundle, type Bundle, bundleInputs, stampOf } from "./build_web.ts";

const BUNDLE: Bundle = { entry: "web/main.ts", output: "web/dist/app.js" };

/** A small app laid out as the real one: a web entry importing client/ and shared/ modules. */
const FIXTURE: Record<string, string> = {
  "deno.json": "{}\n",
  "web/main.ts": 'import { greet } from "../client/greet.ts";\nconsole.log(greet());\n',
  "web/main_test.ts": "// not imported by the bundle\n",
  "client/greet.ts":
    'import { NAME } from "../shared/name.ts";\nexport const greet = () => `hello ${NAME}`;\n',
  "shared/name.ts": 'export const NAME = "first";\n',
};

async function withFixture(test: (root: URL) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "build_web_test_" });
  const root = new URL(`file://${dir}/`);
  try {
    for (const [path, text] of Object.entries(FIXTURE)) await write(root, path, text);
    await test(root);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function write(root: URL, path: string, text: string): Promise<void> {
  await Deno.mkdir(new URL(".", new URL(path, root)), { recursive: true });
  await Deno.writeTextFile(new URL(path, root), text);
}

const output = (root: URL) => Deno.readTextFile(new URL(BUNDLE.output, root));
const exists = (url: URL) => Deno.stat(url).then(() => true, () => false);

Deno.test("buildBundle() skips the bundle while no input changed", async () => {
  await withFixture(async (root) => {
    assertEquals(await buildBundle(root, BUNDLE), "built");
    const { mtime } = await Deno.stat(new URL(BUNDLE.output, root));
    assertEquals(await buildBundle(root, BUNDLE), "skipped");
    await write(root, "web/main_test.ts", "// edited, still not imported\n");
    assertEquals(await buildBundle(root, BUNDLE), "skipped");
    assertEquals((await Deno.stat(new URL(BUNDLE.output, root))).mtime, mtime);
  });
});

Deno.test("buildBundle() rebuilds when an imported client/ or shared/ file, the config or the bundle changes", async () => {
  await withFixture(async (root) => {
    await buildBundle(root, BUNDLE);
    await write(root, "shared/name.ts", 'export const NAME = "second";\n');
    assertEquals(await buildBundle(root, BUNDLE), "built");
    assert((await output(root)).includes("second"), "the bundle has the edited shared/ module");
    await write(root, "client/greet.ts", 'export const greet = () => "hi third";\n');
    assertEquals(await buildBundle(root, BUNDLE), "built");
    assert((await output(root)).includes("hi third"), "the bundle has the edited client/ module");
    await write(root, "deno.json", '{ "compilerOptions": {} }\n');
    assertEquals(await buildBundle(root, BUNDLE), "built");
    await write(root, BUNDLE.output, "// written by something else\n");
    assertEquals(await buildBundle(root, BUNDLE), "built");
    await Deno.remove(new URL(BUNDLE.output, root));
    assertEquals(await buildBundle(root, BUNDLE), "built");
    assertEquals(await buildBundle(root, BUNDLE), "skipped");
  });
});

Deno.test("buildBundle() leaves no stamp when the bundle fails, so the next run bundles again", async () => {
  await withFixture(async (root) => {
    await buildBundle(root, BUNDLE);
    await write(root, "client/greet.ts", "export const greet = () => {\n");
    await assertRejects(() => buildBundle(root, BUNDLE), Error);
    assert(!await exists(new URL(stampOf(BUNDLE), root)), "no stamp after a failed bundle");
    // Back to the sources of the stored bundle: the bundle is rebuilt all the same.
    await write(root, "client/greet.ts", FIXTURE["client/greet.ts"]);
    assertEquals(await buildBundle(root, BUNDLE), "built");
  });
});

Deno.test("bundleInputs() of the web client lists the client/ and shared/ modules it imports, no test", async () => {
  const inputs = await bundleInputs(new URL("../", import.meta.url), "web/main.tsx");
  assert(inputs, "the web client's graph resolves");
  for (
    const path of ["web/main.tsx", "client/mod.ts", "shared/types.ts", "deno.json", "deno.lock"]
  ) {
    assert(inputs.files.includes(path), `${path} is an input`);
  }
  assert(!inputs.files.includes("web/state_test.ts"), "a test is not an input");
  assert(inputs.packages.some((name) => name.includes("preact@")), "preact is an input");
});
