/** task's handling of log batches: stored with seqs, pushed in order per connect server, kicks forwarded. */
import assert from "node:assert/strict";
import { MemoryLog } from "../shared/message_log/memory.ts";
import type { LogHandler, MessageLog } from "../shared/message_log/mod.ts";
import { MemoryPresence } from "../shared/presence/memory.ts";
import { MemoryPresenceNotices } from "../shared/presence_notices/memory.ts";
import { MemoryStatusQueue } from "../shared/queue/memory.ts";
import type { ConnectService, PushItem } from "../shared/rpc/connect.ts";
import { openSqliteStore } from "../shared/store/sqlite.ts";
import type { AcceptedMessage, Group } from "../shared/types.ts";
import { configureLogging } from "../shared/log.ts";
import { acceptToStoreSeconds, storeBatchSize } from "../shared/metrics.ts";
import { Snowflake } from "../shared/snowflake.ts";
import { parseTraceparent, withTrace } from "../shared/trace.ts";
import { createTask } from "./mod.ts";

/** Store batches counted so far. */
async function storeBatches(): Promise<number> {
  return (await storeBatchSize.get()).values.find((v) =>
    v.metricName === "im_store_batch_messages_count"
  )?.value ?? 0;
}

/** A connect server that records what it is asked. */
class RecordingConnect implements ConnectService {
  readonly pushes: PushItem[][] = [];
  readonly kicks: string[][] = [];
  failing = false;
  /** Kicks to refuse before taking them again. */
  kickFailures = 0;
  push(items: PushItem[]): Promise<void> {
    if (this.failing) return Promise.reject(new Error("connect is down"));
    this.pushes.push(items);
    return Promise.resolve();
  }
  kick(tokenHashes: string[]): Promise<void> {
    if (this.kickFailures > 0) {
      this.kickFailures--;
      return Promise.reject(new Error("connect is down"));
    }
    this.kicks.push(tokenHashes);
    return Promise.resolve();
  }
}

const group: Group = {
  id: "500",
  name: "g",
  avatar: null,
  ownerId: "1",
  memberCount: 3,
  createdAt: 0,
  history: "since_join",
  notice: "",
  joinPolicy: "open",
  muted: false,
};
let nextId = 1000;
function accepted(from: string, to: AcceptedMessage["to"], text: string): AcceptedMessage {
  const conversationId = to.type === "group" ? `g:${to.id}` : `u:${[from, to.id].sort().join(":")}`;
  const id = String(nextId++);
  return {
    id,
    conversationId,
    from,
    to,
    content: { type: "text", text },
    sentAt: Date.now(),
    clientMsgId: `c${id}`,
  };
}

Deno.test("task", async (t) => {
  const store = await openSqliteStore({ dataDir: "memory://" });
  const log = new MemoryLog();
  const presence = new MemoryPresence();
  const statusQueue = new MemoryStatusQueue();
  const servers = { s1: new RecordingConnect(), s2: new RecordingConnect() };
  const errors: string[] = [];
  const task = createTask({
    log,
    statusQueue,
    store,
    presence,
    notices: new MemoryPresenceNotices(),
    // An offline is told at once here; the grace is `presence_announce_test.ts`'s.
    presenceGraceMs: 0,
    connects: {
      connectServers: () => Object.keys(servers),
      connect: (id) => servers[id as keyof typeof servers],
    },
    kickRetryMs: [5, 5, 5],
    onError: (_error, context) => errors.push(context),
  });
  await presence.connect("1", "s1", "a");
  await presence.connect("2", "s2", "b");
  await presence.connect("3", "s1", "c");

  try {
    await t.step("stores a batch, then pushes it to each server in log order", async () => {
      const hello = accepted("1", { type: "group", id: group.id }, "hello");
      const direct = accepted("1", { type: "user", id: "2" }, "direct");
      await log.append([
        {
          type: "event",
          userIds: ["3", "1", "2"],
          frame: { op: "group_update", group },
          membership: { groupId: group.id, added: ["3"], removed: [] },
        },
        { type: "message", message: hello },
        { type: "message", message: direct },
        { type: "kick", tokenHashes: ["h1"] },
      ]);
      const s1 = servers.s1.pushes.flat();
      assert.deepEqual(s1.map((i) => "groupId" in i ? `group ${i.groupId}` : i.userIds.join()), [
        "3,1",
        `group ${group.id}`,
        "1",
      ]);
      assert.deepEqual("membership" in s1[0] && s1[0].membership, {
        groupId: group.id,
        added: ["3"],
        removed: [],
      });
      assert.deepEqual(s1[1].ack, { conversationId: hello.conversationId, seq: 1 });
      assert.deepEqual(s1[2].ack, { conversationId: direct.conversationId, seq: 1 });
      assert.equal(JSON.parse(s1[2].frame).message.seq, 1);
      const s2 = servers.s2.pushes.flat();
      assert.deepEqual(s2.map((i) => "groupId" in i ? `group ${i.groupId}` : i.userIds.join()), [
        "2",
        `group ${group.id}`,
        "2",
      ]);
      assert.deepEqual([servers.s1.kicks, servers.s2.kicks], [[["h1"]], [["h1"]]]);
      assert.equal(servers.s1.pushes.length, 1, "one push call per server per batch");
    });

    await t.step("a batch handed over again keeps its seqs", async () => {
      const again = accepted("2", { type: "user", id: "1" }, "again");
      await log.append([{ type: "message", message: again }]);
      await log.append([{ type: "message", message: again }]);
      const seqs = servers.s2.pushes.slice(-2).map((items) => items[0].ack?.seq);
      assert.deepEqual(seqs, [2, 2]);
      const history = await store.messages.history(again.conversationId, { limit: 10 });
      assert.deepEqual(history.map((m) => m.seq), [1, 2]);
    });

    await t.step("a connect server that fails does not fail the batch for the others", async () => {
      servers.s2.failing = true;
      const late = accepted("1", { type: "user", id: "2" }, "late");
      await log.append([{ type: "message", message: late }]);
      servers.s2.failing = false;
      assert.equal(JSON.parse(servers.s1.pushes.at(-1)![0].frame).message.id, late.id);
      assert.deepEqual(errors, ["push to s2"]);
    });

    await t.step(
      "a kick a connect server fails is tried again in the background until it takes it",
      async () => {
        errors.length = 0;
        servers.s2.kickFailures = 2;
        await log.append([{ type: "kick", tokenHashes: ["h2"] }]);
        assert.deepEqual(servers.s1.kicks.at(-1), ["h2"]);
        for (let i = 0; i < 500 && servers.s2.kicks.at(-1)?.[0] !== "h2"; i++) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        assert.deepEqual(servers.s2.kicks.at(-1), ["h2"]);
        assert.deepEqual(errors, ["kick to s2 (try 1 of 4)", "kick to s2 (try 2 of 4)"]);
        // A server that never takes it: tried four times in all, then given up.
        errors.length = 0;
        servers.s2.kickFailures = 10;
        await log.append([{ type: "kick", tokenHashes: ["h3"] }]);
        for (let i = 0; i < 500 && errors.length < 4; i++) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        await new Promise((resolve) => setTimeout(resolve, 30));
        assert.equal(errors.length, 4);
        assert.equal(servers.s2.kickFailures, 6);
        servers.s2.kickFailures = 0;
        assert.deepEqual(servers.s1.kicks.filter((k) => k[0] === "h3").length, 1);
      },
    );

    await t.step("a group event is one group push item, without ack", async () => {
      const frame = { op: "read", conversationId: "g:500", userId: "1", seq: 3 } as const;
      await log.append([{ type: "group_event", groupId: group.id, frame }]);
      for (const server of Object.values(servers)) {
        assert.deepEqual(server.pushes.at(-1), [{
          groupId: group.id,
          frame: JSON.stringify(frame),
          ack: undefined,
        }]);
      }
    });

    await t.step(
      "since_join: a reply or update referring to a message from before a member joined is split",
      async () => {
        for (const id of ["21", "22", "23"]) {
          await store.accounts.createUser({
            id,
            username: `u${id}`,
            passwordHash: "h",
            nickname: id,
            createdAt: 5,
          });
          await presence.connect(id, id === "22" ? "s2" : "s1", `c${id}`);
        }
        const g = "600";
        await store.groups.create(
          { id: g, name: "g", avatarMediaId: null, ownerId: "21", createdAt: 5 },
          ["21", "22"],
        );
        const first = accepted("21", { type: "group", id: g }, "before 23 joined");
        await log.append([{ type: "message", message: first }]);
        await store.groups.addMembers(g, ["23"], 100, 6);
        const preview = { id: first.id, seq: 1, from: "21", preview: "before 23 joined" };
        const reply = { ...accepted("22", { type: "group", id: g }, "re"), replyTo: preview };
        const [stored] = await store.messages.get(first.conversationId, [first.id]);
        const edit: AcceptedMessage = {
          ...accepted("21", { type: "group", id: g }, ""),
          clientMsgId: null,
          content: {
            type: "update",
            action: "edit",
            target: { ...stored, content: { type: "text", text: "now edited" }, editedAt: 9 },
          },
        };
        const plain = accepted("23", { type: "group", id: g }, "plain");
        const s1Before = servers.s1.pushes.length;
        const s2Before = servers.s2.pushes.length;
        await log.append([{ type: "message", message: reply }]);
        await log.append([edit, plain].map((message) => ({ type: "message", message })));

        const seen = (items: PushItem[]) =>
          items.map((item) => {
            const { message } = JSON.parse(item.frame);
            const who = "groupId" in item ? `group ${item.groupId}` : item.userIds.join();
            const shown = message.replyTo
              ? message.replyTo.preview ?? "hidden"
              : message.content.type === "update"
              ? message.content.target.content?.text ?? "hidden"
              : message.content.text;
            return `${who} seq ${item.ack?.seq}: ${shown}`;
          });
        assert.deepEqual(seen(servers.s1.pushes.slice(s1Before).flat()), [
          "21 seq 2: before 23 joined",
          "23 seq 2: hidden",
          "21 seq 3: now edited",
          "23 seq 3: hidden",
          `group ${g} seq 4: plain`,
        ]);
        assert.deepEqual(seen(servers.s2.pushes.slice(s2Before).flat()), [
          "22 seq 2: before 23 joined",
          "22 seq 3: now edited",
          `group ${g} seq 4: plain`,
        ]);
        const hidden = JSON.parse(servers.s1.pushes.at(-2)![1].frame).message;
        assert.deepEqual(hidden.replyTo, { ...preview, preview: null });
        const hiddenEdit = JSON.parse(servers.s1.pushes.at(-1)![1].frame).message;
        assert.deepEqual(hiddenEdit.content.target, { id: first.id, seq: 1 });
      },
    );

    await t.step(
      "a system message with a membership change: the group as it was first, then the change to the added",
      async () => {
        // 31 stays on s1; 32, removed, and 33, added, are on s2 (no item names 32 there).
        for (const id of ["31", "32", "33"]) {
          await store.accounts.createUser({
            id,
            username: `u${id}`,
            passwordHash: "h",
            nickname: id,
            createdAt: 5,
          });
          await presence.connect(id, id === "31" ? "s1" : "s2", `c${id}`);
        }
        const g = "700";
        await store.groups.create(
          { id: g, name: "g", avatarMediaId: null, ownerId: "31", createdAt: 5 },
          ["31", "32"],
        );
        const line = (event: "removed" | "joined", userId: string): AcceptedMessage => ({
          ...accepted("31", { type: "group", id: g }, ""),
          clientMsgId: null,
          content: { type: "system", event, userId, by: "31" },
        });
        const s1Before = servers.s1.pushes.length;
        const s2Before = servers.s2.pushes.length;
        await log.append([
          {
            type: "message",
            message: line("removed", "32"),
            membership: { groupId: g, added: [], removed: ["32"] },
          },
          {
            type: "message",
            message: line("joined", "33"),
            membership: { groupId: g, added: ["33"], removed: [] },
          },
        ]);
        const seen = (items: PushItem[]) =>
          items.map((item) => {
            const { message } = JSON.parse(item.frame);
            const who = "groupId" in item ? `group ${item.groupId}` : `users [${item.userIds}]`;
            const change = "membership" in item && item.membership
              ? ` +[${item.membership.added}] -[${item.membership.removed}]`
              : "";
            return `${who} seq ${item.ack?.seq} ${message.content.event}${change}`;
          });
        assert.deepEqual(seen(servers.s1.pushes.slice(s1Before).flat()), [
          `group ${g} seq 1 removed`,
          `group ${g} seq 2 joined`,
        ]);
        assert.deepEqual(seen(servers.s2.pushes.slice(s2Before).flat()), [
          `group ${g} seq 1 removed`,
          "users [] seq 1 removed +[] -[32]",
          `group ${g} seq 2 joined`,
          "users [33] seq 2 joined +[33] -[]",
        ]);
      },
    );

    await t.step(
      "a user going offline: lastSeenAt stored and in the friends' presence event",
      async () => {
        for (const id of ["11", "12"]) {
          await store.accounts.createUser({
            id,
            username: `u${id}`,
            passwordHash: "h",
            nickname: id,
            createdAt: 5,
          });
        }
        await store.friends.add("11", "12", 6);
        await presence.connect("12", "s1", "d");
        await presence.connect("11", "s2", "e");
        await presence.disconnect("11", "s2", "e");
        await statusQueue.push({ userId: "11", online: false, at: 777 });
        const frames = () => servers.s1.pushes.flat().map((i) => JSON.parse(i.frame));
        for (let i = 0; i < 500 && !frames().some((f) => f.op === "presence"); i++) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        assert.deepEqual(frames().find((f) => f.op === "presence"), {
          op: "presence",
          userId: "11",
          online: false,
          lastSeenAt: 777,
        });
        assert.deepEqual(await store.accounts.lastSeen(["11"]), new Map([["11", 777]]));
      },
    );

    await t.step(
      "a message's trace goes on: its push items carry a span of it, its lines the trace id",
      async () => {
        const given = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        const message = {
          ...accepted("1", { type: "user", id: "2" }, "traced"),
          id: new Snowflake({ workerId: 3 }).next(),
        };
        const batches = await storeBatches();
        const lines: Record<string, unknown>[] = [];
        const before = { ...configureLogging({}) };
        configureLogging({
          format: "json",
          level: "debug",
          write: (_level, line) => void lines.push(JSON.parse(line)),
        });
        try {
          await log.append([{ type: "message", message, trace: given }]);
        } finally {
          configureLogging(before);
        }
        const items = [...servers.s1.pushes, ...servers.s2.pushes].flat()
          .filter((i) => JSON.parse(i.frame).message?.id === message.id);
        assert.equal(items.length, 2, "one item on each server");
        for (const item of items) {
          const trace = parseTraceparent(item.traceparent);
          assert.equal(trace?.traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
          assert.notEqual(trace?.spanId, "00f067aa0ba902b7", "task's store span");
        }
        const mine = lines.filter((l) => l.messageId === message.id);
        assert.deepEqual(mine.map((l) => [l.message, l.level, l.traceId, l.conversationId]), [
          ["message stored", "debug", "4bf92f3577b34da6a3ce929d0e0e4736", message.conversationId],
          ["message pushed", "debug", "4bf92f3577b34da6a3ce929d0e0e4736", message.conversationId],
        ]);
        assert.equal(mine[1].servers, 2);
        assert.equal(
          await storeBatches(),
          batches + 1,
          "the batch counted in im_store_batch_messages",
        );
        const delays = (await acceptToStoreSeconds.get()).values;
        const fast = delays.find((v) => v.labels.le === 10)!.value;
        assert.ok(fast >= 1, "the message's id is from now: stored within 10 s of it");
      },
    );
  } finally {
    await task.close();
    await store.close();
  }
});

Deno.test("task: a message without a trace gets a new one, not the trace its batch runs in", async () => {
  const store = await openSqliteStore({ dataDir: "memory://" });
  const presence = new MemoryPresence();
  const server = new RecordingConnect();
  let handle: LogHandler | undefined;
  const log: MessageLog = {
    append: () => Promise.resolve(),
    consume: (handler) => void (handle = handler),
    ping: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  const task = createTask({
    log,
    statusQueue: new MemoryStatusQueue(),
    store,
    presence,
    notices: new MemoryPresenceNotices(),
    connects: { connectServers: () => ["s1"], connect: () => server },
  });
  try {
    await presence.connect("1", "s1", "a");
    const given = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const traced = accepted("1", { type: "user", id: "2" }, "traced");
    // An edit, a recall or a system line: no send's trace of its own.
    const untraced = accepted("1", { type: "user", id: "2" }, "untraced");
    // Handled within the traced send's context, as a consumer started by an append would.
    await withTrace(parseTraceparent(given), () =>
      handle!([
        { type: "message", message: traced, trace: given },
        { type: "message", message: untraced },
      ]));
    const traceOf = (id: string) =>
      parseTraceparent(
        server.pushes.flat().find((i) => JSON.parse(i.frame).message?.id === id)?.traceparent,
      )?.traceId;
    assert.equal(traceOf(traced.id), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert.match(traceOf(untraced.id) ?? "", /^[0-9a-f]{32}$/);
    assert.notEqual(traceOf(untraced.id), "4bf92f3577b34da6a3ce929d0e0e4736");
  } finally {
    await task.close();
    await store.close();
  }
});
