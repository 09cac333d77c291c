import { assertEquals } from "../tests/assert.ts";
import { VARIABLES } from "../shared/config/variables.ts";
import { renderTables } from "./config_docs.ts";

Deno.test("renderTables() lists every declared variable in exactly one row", () => {
  const tables = renderTables();
  for (const name of Object.keys(VARIABLES)) {
    assertEquals(tables.split(`| \`${name}\` |`).length - 1, 1, name);
  }
  assertEquals(tables.match(/^\| `IM_/gm)?.length, Object.keys(VARIABLES).length);
});
