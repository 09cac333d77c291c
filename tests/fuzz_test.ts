/** A short fuzz pass in every test run; `deno task fuzz` runs 100,000 cases. */
import { assertEquals } from "./assert.ts";
import { fuzz, summarize } from "./fuzz.ts";

Deno.test(
  "fuzz: 3,000 random and mutated requests and frames, hostile text, a round of floods: no 5xx, no crash, floods bounded, normal clients served",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    const report = await fuzz({ cases: 3000 });
    console.log(
      `fuzz: ${report.cases} cases (${report.http} HTTP, ${report.ws} WebSocket), seed ${report.seed}, statuses ${
        JSON.stringify(report.statuses)
      }`,
    );
    for (const note of report.notes) console.log(note);
    assertEquals(summarize(report.findings), []);
  },
);
