/**
 * End-to-end: the admin tool (`deno task admin`, scripts/admin.ts) against a
 * running server: the embedded data folder, or with IM_E2E_MODE=cluster the
 * cluster's PostgreSQL, where a logic process applies each action. Disable,
 * enable, signout, moderator recall, counts, the audit log and bad input; in
 * the embedded mode also a folder no server is running on, where the tool
 * applies the action itself, and one held but not polled, where it is queued.
 */
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { ImClient, ImError } from "../client/mod.ts";
import type { AdminActionRow } from "../shared/store/mod.ts";
import type { Message } from "../shared/types.ts";
import { ADMIN_ACTOR, runAdmin } from "./_admin.ts";
import { lockDataDir } from "../shared/store/embedded.ts";
import { openSqliteStore } from "../shared/store/sqlite.ts";
import {
  befriend,
  errorCode,
  eventually,
  newUser,
  PASSWORD,
  secondDevice,
  startServer,
  uniqueName,
  waitFor,
} from "./harness.ts";

let server = await startServer();
globalThis.addEventListener("unload", () => void server.stop("SIGKILL"));
const opts = { sanitizeOps: false, sanitizeResources: false };
const ACTOR = ADMIN_ACTOR;

/** Runs the admin tool on the server's data (folder or database). */
function admin(...args: string[]) {
  return runAdmin(server, ...args);
}

/** Runs an action with `--json`; the audit row it printed (failing on any exit but 0). */
async function act(...args: string[]): Promise<AdminActionRow> {
  const { code, out, err } = await admin(...args, "--json");
  assertEquals(code, 0, `admin ${args.join(" ")}: ${out}${err}`);
  return JSON.parse(out).action;
}

async function auditRows(limit = 50): Promise<AdminActionRow[]> {
  const { code, out } = await admin("audit", "--limit", String(limit), "--json");
  assertEquals(code, 0);
  return JSON.parse(out).actions;
}

async function loginError(name: string, password: string): Promise<ImError> {
  return await assertRejects(
    () => new ImClient({ baseUrl: server.url }).login(name, password),
    ImError,
  ) as ImError;
}

Deno.test(
  "disable closes the user's sockets with 4401 and refuses sign-in (403) to the right password only; enable restores it",
  opts,
  async () => {
    const name = uniqueName("dis");
    const a = await newUser(server.url, { name });
    const other = new ImClient({ baseUrl: server.url });
    await other.login(name, PASSWORD);
    await other.connect();
    const closed = [a, other].map((c) => waitFor(c, "closed", undefined, 15_000));
    const before = Date.now();
    const row = await act("disable", name, "--reason", "spam");
    assertEquals([row.status, row.action, row.target, row.actor, row.args], [
      "done",
      "disable",
      a.self!.id,
      ACTOR,
      { reason: "spam" },
    ]);
    assertEquals(row.result, { userId: a.self!.id, sessionsEnded: 2 });
    assert(row.at >= before - 1000 && row.appliedAt! >= row.at, "times of the audit row");
    for (const close of closed) assertEquals((await close).code, 4401);
    assertEquals(await errorCode(a.me()), "unauthenticated");
    assertEquals(await errorCode(other.me()), "unauthenticated");
    const refused = await loginError(name, PASSWORD);
    assertEquals([refused.code, refused.status, refused.message], [
      "forbidden",
      403,
      "This account is disabled",
    ]);
    const wrong = await loginError(name, "not the password");
    assertEquals([wrong.code, wrong.status], ["invalid_credentials", 401]);
    assertEquals(
      await errorCode(new ImClient({ baseUrl: server.url }).register(name, PASSWORD)),
      "conflict",
    );
    const found = await admin("find", name);
    assertEquals(found.code, 0);
    assert(found.out.includes("DISABLED") && found.out.includes("(spam)"), found.out);

    const enabled = await admin("enable", a.self!.id);
    assertEquals(enabled.code, 0, enabled.err);
    assert(enabled.out.includes(`Enabled ${name}`), enabled.out);
    const again = new ImClient({ baseUrl: server.url });
    await again.login(name, PASSWORD);
    assertEquals((await again.me()).id, a.self!.id);
    await Promise.all([a.close(), other.close()]);
  },
);

Deno.test("signout closes every session of the user, who may sign in again", opts, async () => {
  const a = await newUser(server.url);
  const device = await secondDevice(server.url, a);
  const phone = new ImClient({ baseUrl: server.url });
  await phone.login(a.self!.username, PASSWORD);
  await phone.connect();
  const closed = [a, device, phone].map((c) => waitFor(c, "closed", undefined, 15_000));
  const row = await act("signout", a.self!.username);
  assertEquals(row.result, { userId: a.self!.id, sessionsEnded: 2 });
  for (const close of closed) assertEquals((await close).code, 4401);
  assertEquals(await errorCode(a.me()), "unauthenticated");
  assertEquals(await errorCode(phone.me()), "unauthenticated");
  const back = new ImClient({ baseUrl: server.url });
  await back.login(a.self!.username, PASSWORD);
  await back.me();
  await Promise.all([a.close(), device.close(), phone.close()]);
});

Deno.test(
  "recall as a moderator: members get the recall and history shows the message recalled",
  opts,
  async () => {
    const owner = await newUser(server.url);
    const member = await newUser(server.url);
    await befriend(owner, member);
    const group = await owner.createGroup("moderated", [member.self!.id]);
    const sent = await member.send({ type: "group", id: group.id }, {
      type: "text",
      text: "something to take down",
    });
    const isRecall = (m: Message) =>
      m.content.type === "update" && m.content.action === "recall" &&
      m.content.target.id === sent.id;
    const pushed = [owner, member].map((c) => waitFor(c, "message", isRecall, 15_000));
    const row = await act("recall", sent.id, "--reason", "abuse");
    assertEquals([row.status, row.args], ["done", { reason: "abuse" }]);
    assertEquals(
      (row.result as { messageId: string; conversationId: string }).conversationId,
      sent.conversationId,
    );
    for (const push of pushed) {
      const entry = await push;
      assertEquals(
        (entry.content as { target: Message }).target.content,
        { type: "recalled", recalledBy: "0" },
      );
    }
    const recalled = await eventually(async () =>
      (await owner.history(sent.conversationId, { limit: 50 })).find((m) =>
        m.id === sent.id && m.content.type === "recalled"
      )
    );
    assertEquals(recalled.from, member.self!.id);
    assertEquals(recalled.content, { type: "recalled", recalledBy: "0" });
    // Twice: the message is as the operator wants it, and the second action is done too
    // (so is one applied again after its applier died before it wrote the outcome).
    const twice = await act("recall", sent.id);
    assertEquals([twice.status, twice.result], ["done", row.result]);
    await Promise.all([owner.close(), member.close()]);
  },
);

Deno.test("counts: users, groups, messages and who is online", opts, async () => {
  const a = await newUser(server.url);
  const first = (await act("counts")).result as Record<string, number>;
  assert(first.users >= 1 && first.online >= 1 && first.messages >= 0, JSON.stringify(first));
  const b = await newUser(server.url);
  await befriend(a, b);
  await a.send({ type: "user", id: b.self!.id }, { type: "text", text: "one more" });
  const after = await eventually(async () => {
    const counts = (await act("counts")).result as Record<string, number>;
    return counts.messages > first.messages ? counts : null;
  }, 15_000);
  assertEquals(after.users, first.users + 1);
  assert(after.online >= first.online + 1, JSON.stringify(after));
  const human = await admin("counts");
  assertEquals(human.code, 0);
  for (const word of ["users", "disabled", "groups", "messages", "online"]) {
    assert(new RegExp(`^${word}\\s+\\d+$`, "m").test(human.out), human.out);
  }
  await Promise.all([a.close(), b.close()]);
});

Deno.test("the audit log keeps who did what to whom, and when", opts, async () => {
  const a = await newUser(server.url, { connect: false });
  const id = (await a.me()).id;
  const before = Date.now();
  await act("signout", id);
  const [latest] = await auditRows(5);
  assertEquals([latest.actor, latest.action, latest.target, latest.status], [
    ACTOR,
    "signout",
    id,
    "done",
  ]);
  assert(latest.at >= before - 1000 && latest.at <= Date.now(), "when it was asked");
  assert(latest.appliedBy !== null && latest.appliedAt! >= latest.at, "who applied it, when");
  const human = await admin("audit", "--limit", "1");
  assert(
    human.out.includes(`#${latest.id}`) && human.out.includes(ACTOR) &&
      human.out.includes(`signout ${id}`),
    human.out,
  );
});

Deno.test("bad input: a clear message, exit 2, and nothing written", opts, async () => {
  const before = (await auditRows(1))[0]?.id;
  const cases: [string[], RegExp][] = [
    [["frobnicate"], /Unknown subcommand "frobnicate"/],
    [[], /Missing subcommand/],
    [["disable"], /disable needs a user/],
    [["disable", uniqueName("nobody")], /No user "/],
    [["recall", "12ab"], /Invalid message id "12ab"/],
    [["recall", "424242424242"], /No message "424242424242"/],
    [["enable", "x", "y"], /Unexpected argument "y"/],
    [["counts", "--limit", "3"], /--limit goes with audit/],
    [["audit", "--limit", "0"], /--limit takes a whole number/],
    [["signout", "x", "--bogus"], /Unknown option --bogus/],
  ];
  for (const [args, message] of cases) {
    const { code, err } = await admin(...args);
    assertEquals(code, 2, `${args.join(" ")}: ${err}`);
    assert(message.test(err), `${args.join(" ")}: ${err}`);
  }
  assertEquals((await auditRows(1))[0]?.id, before, "no audit row for bad input");
});

Deno.test({
  name: "a data folder no server runs on: the tool applies the action itself",
  ...opts,
  ignore: Boolean(server.postgresUrl),
  async fn() {
    const name = uniqueName("offline");
    const a = await newUser(server.url, { name, connect: false });
    const id = (await a.me()).id;
    const dataDir = server.dataDir;
    await server.stop();
    const row = await act("disable", name);
    assertEquals([row.status, row.result], ["done", { userId: id, sessionsEnded: 1 }]);
    assert(row.appliedBy?.startsWith("admin tool"), String(row.appliedBy));
    server = await startServer({ dataDir });
    assertEquals((await loginError(name, PASSWORD)).code, "forbidden");
    const old = new ImClient({ baseUrl: server.url, token: a.token });
    assertEquals(await errorCode(old.me()), "unauthenticated");
  },
});

Deno.test({
  name: "no server applies an action in time: queued (exit 3), and applied later in order",
  ...opts,
  ignore: Boolean(server.postgresUrl),
  async fn() {
    // A folder whose lock this test holds, as a server would, but which nothing polls.
    const dataDir = await Deno.makeTempDir({ prefix: "im-admin-" });
    try {
      const store = await openSqliteStore({ dataDir });
      const user = await store.accounts.createUser({
        id: "4242",
        username: "queued",
        passwordHash: "x",
        nickname: "Q",
        createdAt: 1,
      });
      await store.accounts.createSession({
        id: "1",
        tokenHash: "h",
        userId: user.id,
        createdAt: 1,
        expiresAt: Date.now() + 60_000,
        userAgent: "",
      });
      await store.close();
      const folder = { dataDir };
      const lock = lockDataDir(dataDir);
      let queued;
      try {
        queued = await runAdmin(folder, "signout", "queued", "--wait", "1");
      } finally {
        lock.close();
      }
      assertEquals(queued.code, 3, queued.out + queued.err);
      assert(
        /^Queued as action #\d+: no server applied it within 1 s/.test(queued.out),
        queued.out,
      );
      // The next action applied here (no server holds the folder now) applies the queued one first.
      const counts = await runAdmin(folder, "counts", "--json");
      assertEquals(counts.code, 0, counts.err);
      const [latest, first] = JSON.parse((await runAdmin(folder, "audit", "--json")).out)
        .actions as AdminActionRow[];
      assertEquals([first.action, first.status, first.result], ["signout", "done", {
        userId: "4242",
        sessionsEnded: 1,
      }]);
      assertEquals([latest.action, latest.status], ["counts", "done"]);
      assert(first.appliedAt! <= latest.appliedAt!, "in the order they were asked");
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
