import { assert, assertEquals } from "../../tests/assert.ts";
import { loadConfig } from "../config.ts";
import { parseVariable } from "./parse.ts";
import { PROCESSES, type Reader, type Variable, VARIABLES } from "./variables.ts";

const READERS: readonly Reader[] = [...PROCESSES, "scripts", "tests"];
const declared = Object.entries(VARIABLES) as [string, Variable][];

/** A valid value other than the default. */
function otherValue(variable: Variable): string {
  switch (variable.type) {
    case "int":
      if (variable.powerOfTwo) {
        return String(variable.default * 2 <= variable.max ? variable.default * 2 : 2);
      }
      return String(variable.default < variable.max ? variable.default + 1 : variable.default - 1);
    case "rate":
      return variable.default === "1/1" ? "2/1" : "1/1";
    default:
      return variable.example;
  }
}

Deno.test("VARIABLES gives every variable a name, a meaning and its readers", () => {
  assert(declared.length > 0);
  for (const [name, variable] of declared) {
    assert(/^IM_[A-Z0-9_]+$/.test(name), name);
    assert(variable.meaning.trim().length > 0, `${name} has no meaning`);
    assert(variable.readBy.length > 0, `${name} has no readers`);
    assertEquals(new Set(variable.readBy).size, variable.readBy.length, `${name} readers repeat`);
    for (const reader of variable.readBy) assert(READERS.includes(reader), `${name}: ${reader}`);
    if (variable.type === "int") assert(variable.min <= variable.max, name);
  }
});

Deno.test("VARIABLES defaults parse, and setting one gives what leaving it unset gives", () => {
  const defaults = loadConfig({});
  for (const [name, variable] of declared) {
    const text = String(variable.default);
    if (text === "") continue;
    assertEquals(
      parseVariable(name, variable, text),
      parseVariable(name, variable, undefined),
      name,
    );
    assertEquals(loadConfig({ [name]: text }), defaults, name);
  }
});

Deno.test("VARIABLES names exactly the processes whose slice each variable changes", () => {
  for (const [name, variable] of declared) {
    const value = otherValue(variable);
    assert(
      JSON.stringify(parseVariable(name, variable, value)) !==
        JSON.stringify(parseVariable(name, variable, undefined)),
      `${name}: ${value} is its default`,
    );
    for (const process of PROCESSES) {
      const changed = JSON.stringify(loadConfig({ [name]: value }, process)) !==
        JSON.stringify(loadConfig({}, process));
      assertEquals(changed, variable.readBy.includes(process), `${name} read by ${process}`);
    }
  }
});
