/**
 * End-to-end (embedded mode only; a cluster's backups are PostgreSQL's): `deno task backup`
 * taken as an operator would, while the server serves steady traffic, then `deno task restore`
 * into a fresh folder and a second server on it. Plus the refusals of both tasks.
 */
import { assert, assertEquals } from "./assert.ts";
import { ImClient } from "../client/mod.ts";
import type { Message, SendResult, Target } from "../shared/types.ts";
import { befriend, newUser, startServer } from "./harness.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const opts = { sanitizeOps: false, sanitizeResources: false };

/** Runs `deno task NAME ARGS…` in the repository, as an operator would. */
async function task(
  name: "backup" | "restore",
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", name, ...args],
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

/** Every message of a conversation as its participant reads it, a page of 200 at a time. */
async function wholeHistory(reader: ImClient, conversationId: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const after = all.length > 0 ? all[all.length - 1].seq : 0;
    const page = await reader.history(conversationId, { after, limit: 200 });
    all.push(...page);
    if (page.length < 200) return all;
  }
}

/** One client sending to one target, one message at a time, each after the last was acknowledged. */
interface Sender {
  client: ImClient;
  to: Target;
}

Deno.test(
  "a backup taken under steady traffic holds every message acknowledged before it began, seqs without gaps",
  opts,
  async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "im-backup-data-" });
    const work = await Deno.makeTempDir({ prefix: "im-backup-" });
    let server = await startServer({ dataDir });
    const clients: ImClient[] = [];
    try {
      const senders: Sender[] = [];
      // Readers of each conversation (the first to send in it), for the history after the restore.
      const readers = new Map<string, string>();
      for (let i = 0; i < 3; i++) {
        const a = await newUser(server.url);
        const b = await newUser(server.url);
        clients.push(a, b);
        await befriend(a, b);
        senders.push({ client: a, to: { type: "user", id: b.self!.id } });
        senders.push({ client: b, to: { type: "user", id: a.self!.id } });
      }
      const owner = await newUser(server.url);
      const members = [await newUser(server.url), await newUser(server.url)];
      clients.push(owner, ...members);
      for (const member of members) await befriend(owner, member);
      const group = await owner.createGroup("backed up", members.map((m) => m.self!.id));
      for (const client of [owner, ...members]) {
        senders.push({ client, to: { type: "group", id: group.id } });
      }

      const acked: SendResult[] = [];
      let running = true;
      const flows = senders.map(async ({ client, to }, n) => {
        for (let i = 0; running; i++) {
          const sent = await client.send(to, { type: "text", text: `sender ${n} message ${i}` });
          if (!readers.has(sent.conversationId)) readers.set(sent.conversationId, client.token!);
          acked.push(sent);
        }
      });
      while (acked.length < 300) await new Promise((resolve) => setTimeout(resolve, 20));

      // Every send acknowledged before the backup begins must be in it.
      const noted = [...acked];
      const backup = await task("backup", [`${work}/b.sqlite3`, "--data", dataDir]);
      const duringBackup = acked.length - noted.length;
      running = false;
      await Promise.all(flows);
      assertEquals(backup.code, 0, backup.stderr);
      assert(backup.stdout.includes("messages"), backup.stdout);
      // The server kept serving while the backup ran.
      assert(duringBackup > 0, "no send was acknowledged while the backup ran");
      await server.stop();

      const restore = await task("restore", [`${work}/b.sqlite3`, `${work}/restored`]);
      assertEquals(restore.code, 0, restore.stderr);
      server = await startServer({ dataDir: `${work}/restored` });

      const held = new Set<string>();
      const lastSeqs = new Map<string, number>();
      assertEquals(readers.size, 4);
      for (const [conversationId, token] of readers) {
        // Sessions are in the backup: the same token reads on the restored server.
        const reader = new ImClient({ baseUrl: server.url, token });
        const history = await wholeHistory(reader, conversationId);
        assertEquals(
          history.map((m) => m.seq),
          history.map((_, i) => i + 1),
          `${conversationId}: seqs from 1 without gaps`,
        );
        for (const message of history) held.add(message.id);
        lastSeqs.set(conversationId, history.length);
      }
      const missing = noted.filter((sent) => !held.has(sent.id));
      assertEquals(missing, [], `${missing.length} of ${noted.length} acknowledged messages lost`);

      // The restored server goes on from where the backup was: the next seq follows the last.
      const [conversationId, token] = [...readers][0];
      const writer = new ImClient({ baseUrl: server.url, token });
      clients.push(writer);
      await writer.connect();
      const first = senders.find((s) => s.client.token === token)!;
      await writer.send(first.to, { type: "text", text: "after the restore" });
      const after = await wholeHistory(writer, conversationId);
      assertEquals(after.at(-1)?.seq, lastSeqs.get(conversationId)! + 1);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await server.stop();
      await Deno.remove(dataDir, { recursive: true });
      await Deno.remove(work, { recursive: true });
    }
  },
);

Deno.test(
  "backup and restore refuse, with exit code 2 and the reason, what would lose or misplace data",
  opts,
  async () => {
    const work = await Deno.makeTempDir({ prefix: "im-backup-refusals-" });
    const server = await startServer({ dataDir: `${work}/data` });
    try {
      const expect = async (
        result: Promise<{ code: number; stderr: string }>,
        why: string,
      ) => {
        const { code, stderr } = await result;
        assertEquals(code, 2, stderr);
        assert(stderr.includes(why), stderr);
      };
      await Deno.writeTextFile(`${work}/kept.sqlite3`, "an older backup");
      await expect(
        task("backup", [`${work}/kept.sqlite3`, "--data", `${work}/data`]),
        "exists: choose another name, or add --force",
      );
      assertEquals(await Deno.readTextFile(`${work}/kept.sqlite3`), "an older backup");
      await expect(
        task("backup", [`${work}/b.sqlite3`, "--data", `${work}/missing`]),
        `The data folder ${work}/missing does not exist`,
      );
      // The default folder is IM_DATA_DIR.
      await expect(
        task("backup", [`${work}/b.sqlite3`], { IM_DATA_DIR: `${work}/missing` }),
        `The data folder ${work}/missing does not exist`,
      );
      await expect(task("backup", []), "usage: deno task backup FILE");

      const made = await task("backup", [`${work}/b.sqlite3`, "--data", `${work}/data`]);
      assertEquals(made.code, 0, made.stderr);
      await Deno.mkdir(`${work}/used`);
      await Deno.writeTextFile(`${work}/used/notes.txt`, "mine");
      await expect(
        task("restore", [`${work}/b.sqlite3`, `${work}/used`]),
        `The folder ${work}/used is not empty`,
      );
      assertEquals(await Deno.readTextFile(`${work}/used/notes.txt`), "mine");
      await expect(
        task("restore", [`${work}/kept.sqlite3`, `${work}/new`]),
        "is not a backup of this server's data",
      );
      await expect(task("restore", [`${work}/b.sqlite3`]), "usage: deno task restore FILE DIR");
    } finally {
      await server.stop();
      await Deno.remove(work, { recursive: true });
    }
  },
);
