/// <reference lib="deno.ns" />
import { assert, assertEquals, assertRejects } from "../tests/assert.ts";
import { AppError } from "../shared/errors.ts";
import { readBytes } from "./http.ts";

/** A request whose body arrives as `chunks` chunks of `size` bytes, one every `everyMs`. */
function paced(chunks: number, size: number, everyMs: number): Request {
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent === chunks) return controller.close();
      if (sent > 0) await new Promise((resolve) => setTimeout(resolve, everyMs));
      controller.enqueue(new Uint8Array(size).fill(sent++));
    },
  });
  return new Request("http://host/api/media", { method: "POST", body });
}

Deno.test("readBytes() gives a steady large body the time its bytes take at the minimum rate", async () => {
  // 8 chunks 60 ms apart (about 420 ms) under a 150 ms timeout: each chunk of 1000 bytes at
  // 2000 bytes a second adds 500 ms, far ahead of the pace.
  const bytes = await readBytes(paced(8, 1000, 60), 1e6, 150, 2000);
  assertEquals(bytes.length, 8000);
  assertEquals(bytes[7999], 7);
});

Deno.test("readBytes() still ends a body that trickles a few bytes at a time", async () => {
  // 2 bytes every 60 ms add 1 ms each: the 150 ms timeout is about all the body gets.
  const started = Date.now();
  const error = await assertRejects(
    () => readBytes(paced(100, 2, 60), 1e6, 150, 2000),
    AppError,
  ) as AppError;
  assertEquals(error.code, "invalid_argument");
  assert(/within 150 ms, 1 s more for each 2 KiB received/.test(error.message), error.message);
  assert(Date.now() - started < 1000, `ended after ${Date.now() - started} ms`);
});
