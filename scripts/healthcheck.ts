/**
 * A container healthcheck for the images without curl (denoland/deno): fetches a URL, by
 * default `http://127.0.0.1:$IM_HTTP_PORT/readyz`, and exits 0 when it answers 2xx within the
 * timeout, else 1 with the reason on stderr (Docker keeps it in `docker inspect`'s health log).
 *
 *   deno run --allow-net=127.0.0.1 scripts/healthcheck.ts http://127.0.0.1:9464/readyz
 */

/** How long the probe waits for an answer; below compose's healthcheck timeout. */
const TIMEOUT_MS = 4_000;

/** Fetches `url`; resolves to null when it answers 2xx, else to what went wrong. */
export async function probe(url: string, timeoutMs = TIMEOUT_MS): Promise<string | null> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = await response.text();
    return response.ok ? null : `${url} answered ${response.status}: ${body.slice(0, 500)}`;
  } catch (error) {
    return `${url} did not answer: ${error instanceof Error ? error.message : error}`;
  }
}

if (import.meta.main) {
  const url = Deno.args[0] ?? "http://127.0.0.1:8080/readyz";
  const failure = await probe(url);
  if (failure) {
    console.error(failure);
    Deno.exit(1);
  }
}
