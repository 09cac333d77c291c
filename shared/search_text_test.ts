import { assert, assertEquals } from "../tests/assert.ts";
import { bigrams, foldForSearch, matchesSearch } from "./search_text.ts";

Deno.test("foldForSearch: lower case, NFKC, one space for each run of white space", () => {
  assertEquals(foldForSearch("  Hello\t\n  WORLD "), "hello world");
  assertEquals(foldForSearch("Ｈｅｌｌｏ"), "hello");
  assertEquals(foldForSearch("Cafe\u0301"), "café");
  assertEquals(foldForSearch("你好世界"), "你好世界");
});

Deno.test("bigrams: overlapping pairs of code points, none for one", () => {
  assertEquals(bigrams("hello"), ["he", "el", "ll", "lo"]);
  assertEquals(bigrams("你好世界"), ["你好", "好世", "世界"]);
  assertEquals(bigrams("a😀b"), ["a😀", "😀b"]);
  assertEquals(bigrams("x"), []);
  assertEquals(bigrams(""), []);
});

Deno.test("a query's bigrams occur consecutively in a text's exactly where it is a substring", () => {
  const text = foldForSearch("Say hello to 你好世界 and ｗｏｒｌｄ");
  const grams = bigrams(text);
  for (const query of ["ell", "世界", "好世", "o 你", "world", "say"]) {
    const q = bigrams(foldForSearch(query));
    const at = grams.findIndex((_, i) => q.every((g, j) => grams[i + j] === g));
    assert(at >= 0, `${query} is a phrase of the text's bigrams`);
    assert(matchesSearch("Say hello to 你好世界 and ｗｏｒｌｄ", foldForSearch(query)));
  }
  assert(!matchesSearch("你好世界", "世 界"));
});
