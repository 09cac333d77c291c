/** The logic gRPC adapter's trace context and call metrics, on a stub logic in this process. */
import { assertEquals } from "../../tests/assert.ts";
import { AppError } from "../errors.ts";
import { rpcCalls, rpcSeconds } from "../metrics.ts";
import { currentTrace, parseTraceparent, withTrace } from "../trace.ts";
import type { LogicService } from "./logic.ts";
import { createGrpcLogicClient, serveLogic } from "./logic_grpc.ts";

const TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const OTHER = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

async function calls(method: string, outcome: string): Promise<number> {
  return (await rpcCalls.get()).values.find((v) =>
    v.labels.service === "logic" && v.labels.method === method && v.labels.outcome === outcome
  )?.value ?? 0;
}

Deno.test({
  name:
    "logic over gRPC: the caller's trace and sendMany's traceparents reach logic; calls counted",
  // The client is not closed: closing sends GOAWAY, which Deno 2.9.6 may crash on (denoland/deno#36788).
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const seen: { trace?: string; traceparents?: unknown }[] = [];
  const stub = {
    sendMany(_userId: string, _inputs: unknown, traceparents?: unknown) {
      seen.push({ trace: currentTrace()?.traceId, traceparents });
      return Promise.resolve([]);
    },
    me() {
      seen.push({ trace: currentTrace()?.traceId });
      return Promise.reject(new AppError("not_found", "No such user"));
    },
  } as unknown as LogicService;
  const server = await serveLogic(stub, { host: "127.0.0.1", port: 0 });
  const client = createGrpcLogicClient({
    targets: () => [`127.0.0.1:${server.port}`],
    timeoutMs: 5000,
  });
  try {
    const [okBefore, failedBefore] = [
      await calls("sendMany", "ok"),
      await calls("me", "not_found"),
    ];
    await withTrace(parseTraceparent(TRACE), () => client.sendMany("1", [{}, {}], [OTHER, null]));
    let code = "";
    await client.me("1").catch((error) => code = error.code);
    assertEquals(code, "not_found");
    assertEquals(seen, [
      { trace: "4bf92f3577b34da6a3ce929d0e0e4736", traceparents: [OTHER, null] },
      // No trace on the caller's side: none on logic's.
      { trace: undefined },
    ]);
    assertEquals(await calls("sendMany", "ok"), okBefore + 1);
    assertEquals(await calls("me", "not_found"), failedBefore + 1);
    const timed = (await rpcSeconds.get()).values.find((v) =>
      v.metricName === "im_rpc_call_seconds_count" && v.labels.method === "sendMany"
    );
    assertEquals(timed?.value, okBefore + 1);
  } finally {
    await server.drain();
  }
});
