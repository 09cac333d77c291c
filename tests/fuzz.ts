/**
 * Fuzzing the server with fast-check: random and mutated HTTP requests (every
 * route of api/routes.ts, with mangled paths, query strings, headers and bodies
 * built from the protocol's shapes) and WebSocket frames (every op, mutated, and
 * garbage), against an embedded server. Passes when there is no 500, no crash,
 * no unhandled error in the server's output, and a normal client keeps chatting
 * throughout.
 *   deno task fuzz [--cases 100000] [--seed N]
 */
import fc from "fast-check";
import { ROUTES } from "../api/routes.ts";
import { befriend, newUser, PNG_2x3, type Server, startServer, uniqueName } from "./harness.ts";

/** What a fuzz run found. */
export interface FuzzReport {
  cases: number;
  http: number;
  ws: number;
  statuses: Record<string, number>;
  /** Cases that broke a rule: a 500, a dead server, a normal client failing. */
  findings: string[];
  seed: number;
  seconds: number;
}

const FIELDS = [
  "username",
  "password",
  "nickname",
  "avatar",
  "userId",
  "note",
  "name",
  "memberIds",
  "userIds",
  "to",
  "type",
  "id",
  "clientMsgId",
  "content",
  "text",
  "mediaId",
  "conversationId",
  "seq",
  "token",
  "op",
  "q",
  "limit",
  "after",
  "before",
];

/** Any JSON value, with the protocol's field names and type confusions likely. */
function jsonValue(ids: string[]): fc.Arbitrary<unknown> {
  const leaf = fc.oneof(
    fc.string(),
    fc.string({ unit: "grapheme", maxLength: 300 }),
    fc.constantFrom(
      ...ids,
      "",
      "0",
      "-1",
      "1e400",
      "9".repeat(40),
      "user",
      "group",
      "text",
      "image",
    ),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant("x".repeat(70_000)),
  );
  return fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf,
      tie("array"),
      tie("object"),
    ),
    array: fc.array(tie("value"), { maxLength: 5 }),
    object: fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string()), tie("value"), {
      maxKeys: 6,
    }),
  })).value;
}

/** A request body: JSON of the protocol's shapes, broken JSON, deep nesting or raw bytes. */
function body(ids: string[]): fc.Arbitrary<string | Uint8Array | undefined> {
  const json = jsonValue(ids);
  return fc.oneof(
    json.map((v) => JSON.stringify(v)),
    json.map((v) => JSON.stringify(v).slice(0, -1)),
    fc.integer({ min: 1, max: 5000 }).map((n) => "[".repeat(n) + "]".repeat(n)),
    fc.uint8Array({ maxLength: 2000 }),
    fc.constant(PNG_2x3 as Uint8Array),
    fc.constant(undefined),
    fc.string(),
  );
}

interface Ctx {
  url: string;
  tokens: string[];
  ids: string[];
}

/** An HTTP request against one of the routes, its path, query and headers mangled. */
function httpCase(ctx: Ctx) {
  const routes = ROUTES.filter((r) => r.path !== "/api/auth/logout");
  return fc.record({
    route: fc.constantFrom(...routes),
    // Mostly the route's own method, ids and a valid token, so most cases reach logic.
    method: fc.oneof(
      { weight: 6, arbitrary: fc.constant("") },
      { weight: 1, arbitrary: fc.constantFrom("GET", "POST", "PATCH", "DELETE", "PUT") },
    ),
    params: fc.array(
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...ctx.ids) },
        { weight: 1, arbitrary: fc.string() },
        { weight: 1, arbitrary: fc.constantFrom("%", "%00", "..", "%2F", "0", "-1") },
      ),
      { minLength: 3, maxLength: 3 },
    ),
    query: fc.dictionary(fc.constantFrom("q", "limit", "after", "before", "x"), fc.string(), {
      maxKeys: 3,
    }),
    auth: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...ctx.tokens).map((t) => `Bearer ${t}`) },
      { weight: 1, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.string().map((s) => `Bearer ${s}`) },
      { weight: 1, arbitrary: fc.string() },
    ),
    contentType: fc.constantFrom(undefined, "application/json", "text/plain", "image/png", "x/y"),
    body: body(ctx.ids),
  });
}

/** A WebSocket frame: every op with mutated fields, or garbage. */
function wsCase(ctx: Ctx) {
  const json = jsonValue(ctx.ids);
  return fc.oneof(
    fc.record({
      op: fc.constantFrom("send", "ack", "read", "ping", "auth", "nope"),
      clientMsgId: fc.oneof(fc.string(), json),
      to: fc.oneof(
        fc.record({ type: fc.constantFrom("user", "group", "x"), id: fc.constantFrom(...ctx.ids) }),
        json,
      ),
      content: fc.oneof(
        fc.record({ type: fc.constantFrom("text", "image"), text: fc.string() }),
        json,
      ),
      conversationId: fc.oneof(fc.string(), fc.constantFrom(...ctx.ids.map((id) => `g:${id}`))),
      seq: fc.oneof(fc.integer(), json),
    }, { requiredKeys: ["op"] }).map((frame) => JSON.stringify(frame)),
    json.map((v) => JSON.stringify(v)),
    fc.string(),
    fc.integer({ min: 1, max: 3000 }).map((n) => `{"op":"send","to":${"[".repeat(n)}`),
  );
}

type HttpCase = ReturnType<typeof httpCase> extends fc.Arbitrary<infer T> ? T : never;

async function runHttp(ctx: Ctx, c: HttpCase): Promise<number> {
  let p = 0;
  const path = c.route.path.split("/").map((seg) =>
    seg.startsWith(":") ? encodeURIComponent(c.params[p++ % 3]) : seg
  ).join("/");
  const query = new URLSearchParams(c.query).toString();
  const headers: Record<string, string> = {};
  if (c.auth !== undefined) headers.authorization = c.auth.replace(/[^\x20-\x7e]/g, "");
  if (c.contentType) headers["content-type"] = c.contentType;
  const method = c.method || c.route.method;
  const response = await fetch(`${ctx.url}${path}${query ? `?${query}` : ""}`, {
    method,
    headers,
    body: method === "GET" ? undefined : (c.body as BodyInit | undefined),
  });
  await response.body?.cancel();
  return response.status;
}

/** Runs `cases` fuzz cases; returns what it found. */
export async function fuzz(
  { cases, seed = Date.now() % 2 ** 31, progress = () => {} }: {
    cases: number;
    seed?: number;
    progress?: (done: number) => void;
  },
): Promise<FuzzReport> {
  const started = performance.now();
  const server: Server = await startServer({
    env: { IM_SEND_RATE: "100000", IM_SEND_BURST: "100000", IM_BODY_TIMEOUT_MS: "2000" },
  });
  const report: FuzzReport = {
    cases: 0,
    http: 0,
    ws: 0,
    statuses: {},
    findings: [],
    seed,
    seconds: 0,
  };
  try {
    // The fuzzer's own users (it may change their profiles and friendships) ...
    const [f1, f2] = [await newUser(server.url), await newUser(server.url)];
    await befriend(f1, f2);
    const group = await f1.createGroup(uniqueName("fz"), [f2.self!.id]);
    const media = await f1.uploadMedia(PNG_2x3, "image/png");
    const ctx: Ctx = {
      url: server.url,
      tokens: [f1.token!, f2.token!],
      ids: [f1.self!.id, f2.self!.id, group.id, media.id, `u:${f1.self!.id}:${f2.self!.id}`],
    };
    // ... and a normal pair it never touches, who must keep chatting throughout.
    const [n1, n2] = [await newUser(server.url), await newUser(server.url)];
    await befriend(n1, n2);
    let normalSeq = 0;
    const normal = async (at: number) => {
      const got = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no delivery in 10 s")), 10_000);
        const off = n2.on("message", (m) => {
          if (m.content.type === "text" && m.content.text === `normal ${normalSeq}`) {
            clearTimeout(timer);
            off();
            resolve();
          }
        });
      });
      await n1.send({ type: "user", id: n2.self!.id }, {
        type: "text",
        text: `normal ${++normalSeq}`,
      });
      await got.catch((error) =>
        report.findings.push(`after ${at} cases, a normal client: ${error}`)
      );
    };

    const sockets: WebSocket[] = [];
    const socket = async () => {
      const ws = new WebSocket(await f1.connectUrl());
      await new Promise((resolve, reject) => {
        ws.onopen = resolve;
        ws.onerror = reject;
      });
      ws.onmessage = () => {};
      ws.send(JSON.stringify({ op: "auth", token: f1.token }));
      sockets.push(ws);
      return ws;
    };
    let ws = await socket();

    const arbitrary = fc.oneof(
      { weight: 3, arbitrary: httpCase(ctx).map((c) => ({ kind: "http" as const, c })) },
      { weight: 1, arbitrary: wsCase(ctx).map((frame) => ({ kind: "ws" as const, frame })) },
    );
    const BATCH = 32;
    for (let done = 0; done < cases; done += BATCH) {
      const batch = fc.sample(arbitrary, {
        numRuns: Math.min(BATCH, cases - done),
        seed: seed + done,
      });
      await Promise.all(batch.map(async (item, i) => {
        const n = done + i;
        try {
          if (item.kind === "http") {
            report.http++;
            const status = await runHttp(ctx, item.c);
            report.statuses[status] = (report.statuses[status] ?? 0) + 1;
            if (status >= 500 && status !== 503) {
              report.findings.push(
                `case ${n}: ${
                  item.c.method || item.c.route.method
                } ${item.c.route.path} answered ${status}`,
              );
            }
          } else {
            report.ws++;
            if (ws.readyState !== WebSocket.OPEN) ws = await socket();
            ws.send(item.frame);
          }
        } catch (error) {
          report.findings.push(`case ${n}: ${error instanceof Error ? error.message : error}`);
        }
        report.cases++;
      }));
      if (
        server.process &&
        (await Promise.race([server.process.status.then(() => true), Promise.resolve(false)]))
      ) {
        report.findings.push(`the server exited after ${done} cases`);
        break;
      }
      if ((done / BATCH) % 50 === 0) await normal(done);
      progress(report.cases);
    }
    await normal(report.cases);
    for (const s of sockets) s.close();
    await Promise.all([f1.close(), f2.close(), n1.close(), n2.close()]);
  } finally {
    await server.stop("SIGTERM");
  }
  const output = server.output.join("");
  for (const line of output.split("\n")) {
    if (/uncaught|unhandled|panicked|internal server error/i.test(line)) {
      report.findings.push(`server output: ${line.slice(0, 300)}`);
    }
  }
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

if (import.meta.main) {
  const arg = (name: string) => {
    const i = Deno.args.indexOf(`--${name}`);
    return i >= 0 ? Number(Deno.args[i + 1]) : undefined;
  };
  const report = await fuzz({
    cases: arg("cases") ?? 100_000,
    seed: arg("seed"),
    progress: (n) => Deno.stderr.writeSync(new TextEncoder().encode(`\r\x1b[K  fuzz: ${n} cases`)),
  });
  console.error("");
  console.log(
    `fuzz: ${report.cases} cases (${report.http} HTTP, ${report.ws} WebSocket) in ${
      report.seconds.toFixed(0)
    } s, seed ${report.seed}`,
  );
  console.log(`statuses: ${JSON.stringify(report.statuses)}`);
  console.log(`findings: ${report.findings.length}`);
  for (const finding of report.findings.slice(0, 50)) console.log(`  ${finding}`);
  Deno.exit(report.findings.length === 0 ? 0 : 1);
}
