import { assert, assertEquals, assertThrows } from "../tests/assert.ts";
import { costOptions } from "./cost.ts";

Deno.test("costOptions() takes the scenario's options from the command line, and refuses bad ones", () => {
  assertEquals(
    costOptions(["--cluster", "--cost", "--seconds", "5", "--churn-rates", "50,500"]),
    { seconds: 5, churnRates: [50, 500] },
  );
  assertEquals(costOptions(["--cluster", "--cost"]), {});
  assertEquals(
    assertThrows(() => costOptions(["--seconds", "ten"])).message,
    '--seconds takes a number, not "ten"',
  );
  assert(
    /^--pair-rates takes a number/.test(
      assertThrows(() => costOptions(["--pair-rates", "100,x"])).message,
    ),
  );
  assertEquals(
    assertThrows(() => costOptions(["--memory-idle-seconds"])).message,
    "--memory-idle-seconds takes a value",
  );
});
