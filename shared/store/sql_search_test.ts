/**
 * The search index's literals and plans: what each engine is given for a text
 * and a query, and that the query is answered from the index (the contract
 * suite, _contract/search.ts, checks what is found).
 */
import { assert, assertEquals } from "../../tests/assert.ts";
import { bigrams, foldForSearch } from "../search_text.ts";
import { openPgliteDriver } from "./pglite.ts";
import { candidatesSql, ftsGrams, fullTextQuery, pgVector } from "./sql_search.ts";
import { openSqliteDriver } from "./sqlite.ts";

const grams = (q: string) => bigrams(foldForSearch(q));

Deno.test("FTS5 tokens: a bigram is one ascii-tokenizer token, its separators moved to U+E000 + code", () => {
  assertEquals(ftsGrams("Hi, 世界!"), "hi i\uE02C \uE02C\uE020 \uE020世 世界 界\uE021");
  assertEquals(ftsGrams("x"), "");
  assertEquals(
    fullTextQuery("sqlite", grams(`a"b`), ["u:1:2", "g:3"]),
    `conv : (ux1x2 OR gx3) AND grams : "a\uE022 \uE022b"`,
  );
});

Deno.test("tsvector literal: positions, quoting, and the markers of rows whose phrase PostgreSQL cannot keep", () => {
  assertEquals(pgVector("u:1:2", "Abab"), `'u:1:2' 'ab':1,3 'ba':2`);
  assertEquals(pgVector("g:3", `it's \\`), `'g:3' 'it':1 't''':2 '''s':3 's ':4 ' \\\\':5`);
  assertEquals(pgVector("g:3", "a\0"), `'g:3' 'a\uE000':1`);
  // 257 positions of one lexeme: PostgreSQL would keep 256, so none are kept, and `#` says so.
  assertEquals(pgVector("g:3", "a".repeat(258)), `'g:3' 'aa' '#'`);
  assertEquals(
    fullTextQuery("postgres", grams("aab"), ["g:3"]),
    `('g:3') & (('aa' <-> 'ab') | ('#' & 'aa' & 'ab') | '*')`,
  );
});

Deno.test("SQLite answers a search from the FTS5 index in descending id order, each message by its key", async () => {
  const db = await openSqliteDriver({ dataDir: "memory://" });
  try {
    for (const first of [true, false]) {
      const plan = await db.query<{ detail: string }>(
        `EXPLAIN QUERY PLAN ${candidatesSql("sqlite", first)}`,
        [fullTextQuery("sqlite", grams("hello"), ["u:1:2"]), "9", 20, "1"],
      );
      const details = plan.map((row) => row.detail);
      assert(/^SCAN s VIRTUAL TABLE INDEX \d+:M/.test(details[0]), details.join("; "));
      assert(
        details.some((d) => d.startsWith("SEARCH m USING INTEGER PRIMARY KEY")),
        details.join("; "),
      );
      assert(!details.some((d) => d.includes("TEMP B-TREE")), `no sort: ${details.join("; ")}`);
    }
  } finally {
    await db.close();
  }
});

Deno.test("PostgreSQL can answer a rare query from the GIN index", async () => {
  const db = await openPgliteDriver({ dataDir: "memory://" });
  try {
    await db.exec(
      `INSERT INTO message_search (id, conversation_id, grams)
       SELECT g, 'u:1:2', ('''u:1:2'' ''th'':1 ''he'':2 ''x' || (g % 1000) || ''':3')::tsvector
       FROM generate_series(1, 5000) g`,
    );
    // (New GIN entries wait in its pending list, which the planner counts as a full read, until a vacuum.)
    await db.exec("VACUUM ANALYZE message_search");
    const plan = await db.query<{ "QUERY PLAN": string }>(
      `EXPLAIN SELECT s.id FROM message_search s
       WHERE s.grams @@ $1::tsquery AND s.id <= $2::bigint ORDER BY s.id DESC LIMIT 20`,
      [fullTextQuery("postgres", ["x5", "5a"], ["u:1:2", "u:1:3"]), "9223372036854775807"],
    );
    const text = plan.map((row) => row["QUERY PLAN"]).join("\n");
    assert(text.includes("Bitmap Index Scan on message_search_grams"), text);
  } finally {
    await db.close();
  }
});
