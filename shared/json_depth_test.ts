import { assertEquals } from "../tests/assert.ts";
import { nestsDeeperThan } from "./json_depth.ts";

Deno.test("nestsDeeperThan() counts brackets outside strings only", () => {
  assertEquals(nestsDeeperThan('{"a":[1,{"b":2}]}', 3), false);
  assertEquals(nestsDeeperThan('{"a":[1,{"b":2}]}', 2), true);
  assertEquals(nestsDeeperThan('{"a":"[[[[[[[[[["}', 1), false, "brackets in strings");
  assertEquals(
    nestsDeeperThan('{"a":"\\"[[[[["}', 1),
    false,
    "an escaped quote does not end the string",
  );
  assertEquals(nestsDeeperThan("[".repeat(100_000), 32), true);
  assertEquals(nestsDeeperThan("", 0), false);
});
