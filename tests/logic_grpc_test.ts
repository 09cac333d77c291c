/** LogicService over gRPC answers as the in-process one does, errors and bytes included, and fails over. */
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { PNG_2x3 } from "./harness.ts";
import { AppError } from "../shared/errors.ts";
import { createGrpcLogicClient } from "../shared/rpc/logic_grpc.ts";

/** Starts the fixture logic server in a child process. */
async function logicProcess(): Promise<{ address: string; child: Deno.ChildProcess }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL("./fixtures/logic_server.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/port (\d+)/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`logic server exited: ${text}`);
    text += value;
  }
  reader.releaseLock();
  return { address: `127.0.0.1:${/port (\d+)/.exec(text)![1]}`, child };
}

const code = async (promise: Promise<unknown>) =>
  ((await assertRejects(() => promise, AppError)) as AppError).code;

Deno.test({
  name:
    "LogicService over gRPC: results, protocol errors, media bytes, and failover past a dead instance",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const live = await logicProcess();
  const dead = await logicProcess();
  dead.child.kill("SIGKILL");
  await dead.child.status;
  let targets = [dead.address, live.address];
  // The client is not closed: closing sends GOAWAY, which Deno 2.9.6 may crash on (denoland/deno#36788).
  const client = createGrpcLogicClient({ targets: () => targets, timeoutMs: 2000 });
  try {
    // Every call succeeds although one of two registered instances refuses connections:
    // even a call that is not safe to repeat goes elsewhere when it never left.
    const { user, token } = await client.register({
      username: "grpcuser",
      password: "correct horse",
    });
    for (let i = 0; i < 4; i++) assertEquals((await client.authenticate(token)).id, user.id);
    assertEquals(
      await code(client.login({ username: "grpcuser", password: "wrong password" })),
      "invalid_credentials",
    );
    assertEquals(await code(client.register({ username: "x" })), "invalid_argument");
    const media = await client.uploadMedia(user.id, PNG_2x3);
    assertEquals((await client.media(media.id)).bytes, PNG_2x3);
    // A file past the tunnel's former 16 MiB message limit, both ways, with its name.
    const big = new Uint8Array(20 * 1024 * 1024).map((_, i) => i % 253);
    const file = await client.uploadMedia(user.id, big, { kind: "file", name: "big%20file.bin" });
    assertEquals([file.size, file.name], [big.length, "big file.bin"]);
    const served = await client.media(file.id);
    assertEquals(served.info.name, "big file.bin");
    assert(served.bytes.length === big.length && served.bytes.every((b, i) => b === big[i]));

    live.child.kill("SIGKILL");
    await live.child.status;
    assertEquals(await code(client.me(user.id)), "unavailable");
    targets = [];
    assert(
      (await assertRejects(() => client.ready(), AppError)).message.includes("No logic instance"),
    );
  } finally {
    try {
      live.child.kill("SIGKILL");
    } catch { /* already gone */ }
    await live.child.status;
    await live.child.stdout.cancel().catch(() => {});
  }
});
