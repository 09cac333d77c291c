/** The admin tool's command line: what it takes, and what it refuses before touching any data. */
import { assertEquals, assertThrows } from "../tests/assert.ts";
import { parseAdminArgs } from "./admin.ts";

Deno.test("parseAdminArgs() reads subcommands and options in any order", () => {
  assertEquals(
    parseAdminArgs(["disable", "alice", "--reason", "spam and abuse", "--data=/srv/im", "--json"]),
    {
      subcommand: "disable",
      argument: "alice",
      reason: "spam and abuse",
      limit: 20,
      data: "/srv/im",
      postgres: null,
      by: null,
      json: true,
      waitMs: 10_000,
    },
  );
  const audit = parseAdminArgs(["--postgres", "postgres://db/im", "audit", "--limit", "5"]);
  assertEquals([audit.subcommand, audit.limit, audit.postgres], ["audit", 5, "postgres://db/im"]);
  const recall = parseAdminArgs(["recall", "386419711258136576", "--by", "ops", "--wait", "0"]);
  assertEquals([recall.argument, recall.by, recall.waitMs], ["386419711258136576", "ops", 0]);
});

Deno.test("parseAdminArgs() refuses what it does not know or what is missing", () => {
  const refusals: [string[], RegExp][] = [
    [[], /Missing subcommand/],
    [["delete", "bob"], /Unknown subcommand "delete"/],
    [["find"], /find needs a user/],
    [["recall"], /recall needs a message id/],
    [["recall", "01"], /Invalid message id "01"/],
    [["recall", "99999999999999999999"], /Invalid message id/],
    [["counts", "extra"], /Unexpected argument "extra"/],
    [["enable", "bob", "--reason", "x"], /--reason goes with disable or recall/],
    [["audit", "--limit", "-1"], /--limit takes a whole number from 1 to 1000/],
    [["audit", "--limit"], /--limit needs a value/],
    [["counts", "--data", "d", "--postgres", "p"], /not both/],
    [["counts", "-x"], /Unknown option -x/],
    [["disable", "bob", "--reason", "x".repeat(501)], /at most 500 characters/],
  ];
  for (const [args, message] of refusals) {
    const error = assertThrows(() => parseAdminArgs(args));
    assertEquals(
      message.test((error as Error).message),
      true,
      `${args}: ${(error as Error).message}`,
    );
  }
});
