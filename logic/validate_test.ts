import { assertEquals, assertThrows } from "../tests/assert.ts";
import { AppError } from "../shared/errors.ts";
import { charLength, checkId, checkInt, checkString, object, pathId } from "./validate.ts";

const code = (fn: () => unknown) => (assertThrows(fn) as AppError).code;

Deno.test("object() accepts only plain objects with allowed fields", () => {
  assertEquals(object({ a: 1 }, ["a", "b"]), { a: 1 });
  for (const bad of [null, [], "x", 5]) {
    assertEquals(code(() => object(bad, ["a"])), "invalid_argument");
  }
  const error = assertThrows(() => object({ a: 1, evil: 2 }, ["a"]));
  assertEquals(error.message, 'Invalid body: unknown field "evil"');
});

Deno.test("checkString() counts characters, not UTF-16 units", () => {
  assertEquals(charLength("😀😀"), 2);
  assertEquals(checkString("😀".repeat(4), "text", { min: 1, max: 4 }), "😀".repeat(4));
  assertEquals(
    code(() => checkString("x".repeat(5), "text", { min: 1, max: 4 })),
    "invalid_argument",
  );
  assertEquals(code(() => checkString(5, "text", { min: 1, max: 4 })), "invalid_argument");
  assertEquals(
    code(() => checkString("a b", "u", { min: 1, max: 4, pattern: /^\S+$/ })),
    "invalid_argument",
  );
});

Deno.test("checkId() and pathId() take decimal snowflakes within 63 bits", () => {
  assertEquals(checkId("123", "id"), "123");
  for (const bad of [123, "0", "012", "-1", "1e3", "9223372036854775808", ""]) {
    assertEquals(code(() => checkId(bad, "id")), "invalid_argument", String(bad));
  }
  assertEquals(code(() => pathId("abc", "user")), "not_found");
});

Deno.test("checkInt() parses query strings and numbers within bounds", () => {
  assertEquals(checkInt("7", "n", 0, 10), 7);
  assertEquals(checkInt(undefined, "n", 0, 10, 3), 3);
  for (const bad of ["-1", "11", "1.5", "x", 1.5, null]) {
    assertEquals(code(() => checkInt(bad, "n", 0, 10)), "invalid_argument");
  }
});
