import { assertEquals, assertThrows } from "../tests/assert.ts";
import { AppError } from "../shared/errors.ts";
import {
  charLength,
  checkId,
  checkInt,
  checkName,
  checkString,
  object,
  pathId,
} from "./validate.ts";

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

Deno.test("checkString() refuses NUL and lone surrogates in every text field", () => {
  for (const bad of ["a\0b", "\0", "a\ud800", "\udfffb", "x\ud83d"]) {
    const error = assertThrows(() => checkString(bad, "note", { min: 0, max: 100 })) as AppError;
    assertEquals(error.code, "invalid_argument");
    assertEquals(error.message.startsWith("Invalid note: must not contain"), true);
  }
  assertEquals(checkString("😀 ok", "note", { min: 0, max: 100 }), "😀 ok");
});

Deno.test("checkName() normalizes to NFC, maps and trims spaces, refuses invisible and bidi characters", () => {
  const rule = { min: 1, max: 8 };
  assertEquals(checkName(" Cafe\u0301\u00a0\u3000x ", "nickname", rule), "Caf\u00e9 x");
  assertEquals(checkName("👩\u200d💻❤\ufe0f", "nickname", rule), "👩\u200d💻❤\ufe0f");
  assertEquals(
    checkName("🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}", "n", rule).length,
    14,
  );
  for (
    const bad of [
      "alice\u202e\u200b",
      "a\u200db",
      "\u2066x\u2069",
      "\u200fx",
      "x\ufeff",
      "a\u00adb",
      "a\tb",
      "a\u2028b",
      "\u3164",
      "\ue000",
      "\u{E0041}x",
      "a\0",
    ]
  ) {
    assertEquals(
      code(() => checkName(bad, "nickname", rule)),
      "invalid_argument",
      JSON.stringify(bad),
    );
  }
  assertEquals(code(() => checkName(" \u2003 ", "nickname", rule)), "invalid_argument");
  assertEquals(code(() => checkName("123456789", "nickname", rule)), "invalid_argument");
});
