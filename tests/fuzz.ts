/**
 * Fuzzing the server with fast-check: random and mutated HTTP requests (every route of
 * api/routes.ts, with mangled paths, query strings, headers and bodies built from the protocol's
 * shapes) and WebSocket frames (every op, mutated, and garbage, signed in and not), their text
 * laced with NUL, controls, zero-width and bidirectional marks and lone surrogates; and between
 * batches bounded floods (tests/fuzz_probes.ts). Against an embedded server, whose dependencies
 * are all in-process and always up, a finding is: any 5xx (503 included), an `unavailable` or
 * `internal` error frame, a crash, an unhandled error in the server's output, a flood the server
 * does not bound, a NUL stored in any field or an invisible or bidirectional character in a
 * stored name, a message search by the fuzzer's users that shows another pair's message, and a
 * normal client failing to chat.
 *   deno task fuzz [--cases 100000] [--seed N]
 */
import fc from "fast-check";
import type { ImClient } from "../client/mod.ts";
import {
  describe,
  type FuzzIds,
  type HttpCase,
  httpCase,
  percentEncode,
  wsCase,
} from "./fuzz_inputs.ts";
import { oversizedFrame, readFlood, typingFlood, unackedPushes } from "./fuzz_probes.ts";
import {
  befriend,
  newUser,
  PNG_2x3,
  residentBytes,
  type Server,
  startServer,
  uniqueName,
} from "./harness.ts";
import { privateConversationId } from "../shared/types.ts";
import { isFullTarget } from "../shared/message_view.ts";

/** What a fuzz run found. */
export interface FuzzReport {
  cases: number;
  http: number;
  ws: number;
  statuses: Record<string, number>;
  /** Cases that broke a rule: a 5xx, a dead server, an unbounded flood, a normal client failing. */
  findings: string[];
  /** What each flood probe saw, and the server's resident memory. */
  notes: string[];
  seed: number;
  seconds: number;
}

/** Cases between two rounds of flood probes (the first round runs before any case). */
const PROBE_EVERY = 3200;
/** More pushes pending ack on one connection than any client following the protocol holds. */
const UNACKED_BOUND = 5000;
/** Growth of the server's resident memory that counts as a finding. */
const RSS_GROWTH = 300 * 1024 * 1024;

/**
 * Runs one HTTP case: its status, and for a message search answered 200 its body (searched for
 * messages of conversations the fuzzer's users are not in).
 */
async function runHttp(url: string, c: HttpCase): Promise<{ status: number; searched?: string }> {
  let p = 0;
  const path = c.route.path.split("/").map((seg) =>
    seg.startsWith(":") ? percentEncode(c.params[p++ % 3]) : seg
  ).join("/");
  const query = Object.entries(c.query).map(([k, v]) => `${k}=${percentEncode(v)}`).join("&");
  const headers: Record<string, string> = {};
  if (c.auth !== undefined) headers.authorization = c.auth.replace(/[^\x20-\x7e]/g, "");
  if (c.contentType) headers["content-type"] = c.contentType;
  // Like X-File-Name below: only what an HTTP client can put in a header value.
  if (c.traceparent !== undefined) {
    headers.traceparent = String.fromCharCode(...new TextEncoder().encode(c.traceparent))
      .replace(/[^\t\x20-\x7e\x80-\xff]/g, "");
  }
  // A raw name outside Latin-1 cannot be a header value: sent as its UTF-8 bytes read as Latin-1,
  // without the controls no HTTP client can send in a header (percent-encoded ones reach the server).
  if (c.fileName !== undefined) {
    headers["x-file-name"] = String.fromCharCode(...new TextEncoder().encode(c.fileName))
      .replace(/[^\t\x20-\x7e\x80-\xff]/g, "");
  }
  const method = c.method || c.route.method;
  const response = await fetch(`${url}${path}${query ? `?${query}` : ""}`, {
    method,
    headers,
    body: method === "GET" ? undefined : (c.body as BodyInit | undefined),
  });
  if (c.route.path === "/api/messages/search" && method === "GET" && response.status === 200) {
    return { status: response.status, searched: await response.text() };
  }
  await response.body?.cancel();
  return { status: response.status };
}

/** The text of the normal pair's messages, which no search by the fuzzer's users may show. */
const NORMAL_TEXT = /"text":"normal \d+"/;

/** NUL anywhere, or (in names people are known by) controls, invisible and bidi marks. */
const NUL = /\0/;
const HIDDEN = /[\p{Cc}\p{Cf}\p{Cs}]/u;
/** In a group's notice: a control character other than the line break (PROTOCOL.md, Groups). */
const NOTICE_BAD = /(?!\n)\p{Cc}/u;
/** In a file name: a path separator, or a hidden character other than the emoji joiner (U+200D). */
const FILE_NAME_BAD = /[/\\\p{Cc}\p{Cs}]|(?!\u200d)\p{Cf}/u;

/**
 * Findings in what the fuzzer's users hold: their profiles, groups, requests and messages (of
 * the conversations they list, and of `known` ones, which a case may have hidden from the list).
 */
async function storedFields(users: ImClient[], known: string[]): Promise<string[]> {
  const found: string[] = [];
  const check = (what: string, value: string | undefined, pattern: RegExp) => {
    if (value !== undefined && pattern.test(value)) {
      found.push(
        `stored ${what} holds ${
          pattern === NUL
            ? "a NUL"
            : pattern === HIDDEN
            ? "a hidden character"
            : pattern === NOTICE_BAD
            ? "a control character"
            : "a path or hidden character"
        }: ${describe(value)}`,
      );
    }
  };
  for (const user of users) {
    check("nickname", (await user.me()).nickname, HIDDEN);
    for (const { group } of await user.groups()) {
      check("group name", group.name, HIDDEN);
      check("group notice", group.notice, NOTICE_BAD);
    }
    const { incoming, outgoing } = await user.friendRequests();
    for (const r of [...incoming, ...outgoing]) check("friend request note", r.note, NUL);
    const listed = (await user.conversations()).map((c) => c.id);
    for (const id of new Set([...listed, ...known])) {
      // A known conversation the user may have left (a case may leave a group): nothing to read.
      const history = await user.history(id, { limit: 100 }).catch(() => []);
      for (const m of history) {
        if (m.content.type === "text") check("message text", m.content.text, NUL);
        if (m.content.type === "file") check("file name", m.content.name, FILE_NAME_BAD);
        if (m.replyTo?.preview) check("reply preview", m.replyTo.preview, NUL);
        if (m.content.type === "system") check("system line value", m.content.value, NUL);
        const target = m.content.type === "update" ? m.content.target : null;
        if (target && isFullTarget(target) && target.content.type === "text") {
          check("edited text", target.content.text, NUL);
        }
      }
    }
  }
  return found;
}

/** A socket for random frames, signed in or not; error frames that mean a failure are findings. */
async function fuzzSocket(wsUrl: string, token: string | null, findings: string[]) {
  const ws = new WebSocket(wsUrl);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  const socket = { ws, last: "" };
  ws.onmessage = (e) => {
    const frame = JSON.parse(e.data);
    if (frame.op === "error" && (frame.code === "unavailable" || frame.code === "internal")) {
      findings.push(
        `a WebSocket ${
          token ? "" : "before auth "
        }answered ${frame.code} while every dependency is up: ${frame.message} (after frame ${
          describe(socket.last)
        })`,
      );
    }
  };
  if (token) ws.send(JSON.stringify({ op: "auth", token }));
  return socket;
}

/** Runs `cases` fuzz cases and the flood probes; returns what it found. */
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
    notes: [],
    seed,
    seconds: 0,
  };
  const rss = async () => server.process ? await residentBytes(server.process.pid) : null;
  const mb = (bytes: number | null) => bytes === null ? "?" : `${(bytes / 2 ** 20).toFixed(0)} MB`;
  try {
    // The fuzzer's own users (it may change their profiles and friendships) ...
    const [f1, f2] = [await newUser(server.url), await newUser(server.url)];
    await befriend(f1, f2);
    const group = await f1.createGroup(uniqueName("fz"), [f2.self!.id]);
    const media = await f1.uploadMedia(PNG_2x3, "image/png");
    const file = await f1.uploadFile(new TextEncoder().encode("fuzz file"), "fuzz.txt");
    // Messages to reply to, edit and recall: each user's own, in the private chat and the group.
    const privateChat = privateConversationId(f1.self!.id, f2.self!.id);
    const messageIds: string[] = [];
    for (const [from, to] of [[f1, f2], [f2, f1]] as const) {
      for (let i = 0; i < 3; i++) {
        const message = await from.send({ type: "user", id: to.self!.id }, {
          type: "text",
          text: `fuzz ${i}`,
        });
        messageIds.push(message.id);
      }
      messageIds.push(
        (await from.send({ type: "group", id: group.id }, { type: "text", text: "fuzz" })).id,
      );
    }
    // Text that search queries find (version 2, Conversations): CJK and Latin, and the
    // characters query languages give meaning to.
    for (const words of ["你好世界 Hello タワー 하세요", '100% snake_case C:\\x it\'s "q" a & b']) {
      messageIds.push(
        (await f1.send({ type: "group", id: group.id }, { type: "text", text: words })).id,
      );
    }
    // Pending requests each way, so accept, reject and cancel reach a real request as either side.
    const f3 = await newUser(server.url, { connect: false });
    const sent = (await f1.requestFriend((await f3.me()).id, "fuzz")).request!;
    const received = (await f3.requestFriend(f2.self!.id, "fuzz")).request!;
    // Version 2, Groups: a group joined by request with two requests pending (to accept and
    // reject), and a spare group that cases may disband (the others they may not).
    const gate = await f1.createGroup(uniqueName("fzgate"), [f2.self!.id]);
    await f1.request("PATCH", `/api/groups/${gate.id}`, { joinPolicy: "approval" });
    const f4 = await newUser(server.url, { connect: false });
    const requestIds: string[] = [];
    for (const asker of [f3, f4]) {
      const { request } = await asker.request<{ request: { id: string } }>(
        "POST",
        `/api/groups/${gate.id}/join`,
      );
      requestIds.push(request.id);
    }
    const spare = await f1.createGroup(uniqueName("fzspare"), [f2.self!.id]);
    const ctx: FuzzIds = {
      requestIds,
      keep: [group.id, gate.id],
      tokens: [f1.token!, f2.token!],
      ids: [
        f1.self!.id,
        f2.self!.id,
        group.id,
        media.id,
        privateChat,
        sent.id,
        received.id,
        file.id,
        gate.id,
        spare.id,
        (await f3.me()).id,
        (await f4.me()).id,
      ],
      messageIds,
      conversationIds: [privateChat, `g:${group.id}`],
    };
    // ... a normal pair it never touches, who must keep chatting throughout ...
    const [n1, n2] = [await newUser(server.url), await newUser(server.url)];
    await befriend(n1, n2);
    // ... and a pair for the flood probes, friends with no socket of their own.
    const [p1, p2] = [
      await newUser(server.url, { connect: false }),
      await newUser(server.url, { connect: false }),
    ];
    await befriend(p1, p2);
    const probePair = privateConversationId((await p1.me()).id, (await p2.me()).id);
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
    const probes = async (round: number) => {
      const found = [
        await oversizedFrame(await f1.connectUrl()),
        await readFlood(await p1.connectUrl(), p1.token!, probePair),
        await typingFlood(
          { wsUrl: await p1.connectUrl(), token: p1.token! },
          { wsUrl: await p2.connectUrl(), token: p2.token! },
          probePair,
        ),
        round % 3 === 0
          ? await unackedPushes(
            { wsUrl: await p1.connectUrl(), token: p1.token! },
            { wsUrl: await p2.connectUrl(), token: p2.token!, id: (await p2.me()).id },
            {
              bound: UNACKED_BOUND,
              pushes: UNACKED_BOUND + 500,
              run: round,
            },
          )
          : null,
      ].filter((f): f is string => f !== null);
      report.findings.push(...found.map((f) => `probe round ${round}: ${f}`));
      report.notes.push(
        `probe round ${round}: ${found.length} finding(s), server RSS ${mb(await rss())}`,
      );
    };

    const rssStart = await rss();
    let rssPeak = rssStart ?? 0;
    const sockets: { ws: WebSocket; last: string }[] = [];
    const open = async (token: string | null) => {
      const s = await fuzzSocket(await f1.connectUrl(), token, report.findings);
      sockets.push(s);
      return s;
    };
    let signed = await open(f1.token!);
    let anonymous = await open(null);

    const arbitrary = fc.oneof(
      { weight: 6, arbitrary: httpCase(ctx).map((c) => ({ kind: "http" as const, c })) },
      { weight: 2, arbitrary: wsCase(ctx).map((frame) => ({ kind: "ws" as const, frame })) },
      { weight: 1, arbitrary: wsCase(ctx).map((frame) => ({ kind: "anon" as const, frame })) },
    );
    const BATCH = 32;
    for (let done = 0; done < cases; done += BATCH) {
      if (done % PROBE_EVERY === 0) await probes(done / PROBE_EVERY);
      const batch = fc.sample(arbitrary, {
        numRuns: Math.min(BATCH, cases - done),
        seed: seed + done,
      });
      await Promise.all(batch.map(async (item, i) => {
        const n = done + i;
        try {
          if (item.kind === "http") {
            report.http++;
            const { status, searched } = await runHttp(server.url, item.c);
            if (searched !== undefined && NORMAL_TEXT.test(searched)) {
              report.findings.push(
                `case ${n}: a search by the fuzzer's users showed another pair's message; query ${
                  describe(JSON.stringify(item.c.query))
                }`,
              );
            }
            report.statuses[status] = (report.statuses[status] ?? 0) + 1;
            if (status >= 500) {
              report.findings.push(
                `case ${n}: ${
                  item.c.method || item.c.route.method
                } ${item.c.route.path} answered ${status}${
                  status === 503 ? " while every dependency is up" : ""
                }; body ${describe(item.c.body)}, query ${describe(JSON.stringify(item.c.query))}`,
              );
            }
          } else {
            report.ws++;
            if (item.kind === "ws" && signed.ws.readyState !== WebSocket.OPEN) {
              signed = await open(f1.token!);
            }
            if (item.kind === "anon" && anonymous.ws.readyState !== WebSocket.OPEN) {
              anonymous = await open(null);
            }
            const socket = item.kind === "ws" ? signed : anonymous;
            for (const frame of typeof item.frame === "string" ? [item.frame] : item.frame) {
              socket.last = frame;
              socket.ws.send(frame);
            }
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
      if ((done / BATCH) % 50 === 0) {
        await normal(done);
        rssPeak = Math.max(rssPeak, (await rss()) ?? 0);
      }
      progress(report.cases);
    }
    await normal(report.cases);
    for (const s of sockets) s.ws.close();
    report.findings.push(...await storedFields([f1, f2], ctx.conversationIds ?? []));
    // Whatever the cases changed (friends, groups, settings), the normal pair's words stay theirs.
    for (const user of [f1, f2]) {
      const shown = await user.searchMessages("normal", { limit: 50 });
      if (shown.length > 0) {
        report.findings.push(`a fuzzer's user found ${shown.length} of the normal pair's messages`);
      }
    }
    const rssEnd = await rss();
    rssPeak = Math.max(rssPeak, rssEnd ?? 0);
    report.notes.push(
      `server RSS: ${mb(rssStart)} at the start, ${mb(rssPeak)} at the peak, ${
        mb(rssEnd)
      } at the end`,
    );
    if (rssStart !== null && rssPeak - rssStart > RSS_GROWTH) {
      report.findings.push(`the server's resident memory grew by ${mb(rssPeak - rssStart)}`);
    }
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

/** Findings grouped by what they say, case numbers and bodies aside, most frequent first. */
export function summarize(findings: string[]): string[] {
  const groups = new Map<string, { n: number; example: string }>();
  for (const finding of findings) {
    const key = finding.replace(/^(case|after) \d+[: ]/, "").replace(/; body .*$/, "").replace(
      /: .*\(after frame .*$/,
      "",
    ).replace(/(NUL|character): .*$/, "$1").replace(/\d+/g, "N");
    const group = groups.get(key) ?? { n: 0, example: finding };
    group.n++;
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => b.n - a.n).map((g) =>
    `${g.n}× ${g.example.slice(0, 400)}`
  );
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
  for (const note of report.notes) console.log(note);
  console.log(`findings: ${report.findings.length}, by kind (an example of each):`);
  for (const line of summarize(report.findings).slice(0, 50)) console.log(`  ${line}`);
  Deno.exit(report.findings.length === 0 ? 0 : 1);
}
