import { DatabaseSync } from "node:sqlite";
import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { user } from "./_contract/fixtures.ts";
import { backupDataDir, restoreBackup, summaryLines } from "./backup.ts";
import { BackupRefusal, inspectBackup, latestVersion } from "./backup_file.ts";
import { openEmbeddedStore } from "./embedded.ts";
import type { Store } from "./mod.ts";
import { SQLITE_FILE } from "./sqlite.ts";

/** A folder for one test, removed after it. */
async function inTemp(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "im-backup-" });
  try {
    await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A data folder with a store open on it (as a running server holds it), two users and an image. */
async function serving(dataDir: string): Promise<Store> {
  await Deno.mkdir(dataDir);
  const store = await openEmbeddedStore({ dataDir });
  const a = await user(store, "elodie");
  await store.accounts.updateUser(a.id, { nickname: "Élodie" });
  await user(store);
  await store.media.put({
    id: "m".repeat(24),
    sha256: "abc",
    contentType: "image/png",
    size: 3,
    width: 1,
    height: 1,
    ownerId: a.id,
    createdAt: 1,
  }, new Uint8Array([1, 2, 3]));
  return store;
}

/** The message of a refusal the call must end with. */
async function refusal(call: () => Promise<unknown>): Promise<string> {
  return (await assertRejects(call, BackupRefusal)).message;
}

Deno.test("backupDataDir() copies a store a server holds open; restoreBackup() brings it back", async () => {
  await inTemp(async (dir) => {
    const store = await serving(`${dir}/data`);
    try {
      const report = await backupDataDir({ dataDir: `${dir}/data`, file: `${dir}/b.sqlite3` });
      assertEquals([report.tables.users, report.tables.media_blobs], [2, 1]);
      assertEquals(report.version, latestVersion());
      assertEquals(report.bytes, (await Deno.stat(`${dir}/b.sqlite3`)).size);
      // Readable by its owner only; no partial file or journal left beside it.
      assertEquals((await Deno.stat(`${dir}/b.sqlite3`)).mode! & 0o777, 0o600);
      assertEquals((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort(), [
        "b.sqlite3",
        "data",
      ]);
    } finally {
      await store.close();
    }
    // With the server stopped too, and the folder left as it was: one file (and the lock's).
    await backupDataDir({ dataDir: `${dir}/data`, file: `${dir}/stopped.sqlite3` });
    assertEquals((await Array.fromAsync(Deno.readDir(`${dir}/data`))).map((e) => e.name).sort(), [
      SQLITE_FILE,
      `${SQLITE_FILE}.lock`,
    ]);
    const restored = await restoreBackup({ file: `${dir}/b.sqlite3`, dataDir: `${dir}/new` });
    assertEquals(restored.file, `${dir}/new/${SQLITE_FILE}`);
    const again = await openEmbeddedStore({ dataDir: `${dir}/new` });
    try {
      const found = await again.accounts.search("élodie", 10);
      assertEquals(found.map((u) => u.nickname), ["Élodie"]);
      const media = await again.media.withBytes("m".repeat(24));
      assertEquals(media?.bytes, new Uint8Array([1, 2, 3]));
    } finally {
      await again.close();
    }
  });
});

Deno.test("backupDataDir() writes its partial file private from the start", async () => {
  await inTemp(async (dir) => {
    await (await serving(`${dir}/data`)).close();
    // Another process holds the store's lock, so the copy waits with its partial file open; it
    // tells the partial file's mode as soon as there is one, then lets the copy go on.
    const holder = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `import { DatabaseSync } from "node:sqlite";
        const db = new DatabaseSync(${JSON.stringify(`${dir}/data/${SQLITE_FILE}`)});
        db.exec("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE");
        console.log("locked");
        const partial = ${JSON.stringify(`${dir}/b.sqlite3.partial`)};
        for (let i = 0; i < 2000; i++) {
          try {
            console.log((Deno.statSync(partial).mode & 0o777).toString(8));
            break;
          } catch {
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
        }
        db.exec("COMMIT");
        db.close();`,
      ],
      stdout: "piped",
    }).spawn();
    const lines = holder.stdout.pipeThrough(new TextDecoderStream()).getReader();
    assertEquals((await lines.read()).value?.trim(), "locked");
    await backupDataDir({ dataDir: `${dir}/data`, file: `${dir}/b.sqlite3` });
    let told = "";
    for (let chunk = await lines.read(); !chunk.done; chunk = await lines.read()) {
      told += chunk.value;
    }
    assert((await holder.status).success);
    assertEquals(told.trim(), "600", "the partial file's mode while the copy waited");
    assertEquals((await Deno.stat(`${dir}/b.sqlite3`)).mode! & 0o777, 0o600);
    assertEquals((await inspectBackup(`${dir}/b.sqlite3`)).tables.users, 2);
  });
});

Deno.test("backupDataDir() replaces an existing file only with force", async () => {
  await inTemp(async (dir) => {
    const store = await serving(`${dir}/data`);
    try {
      await Deno.writeTextFile(`${dir}/b.sqlite3`, "an older backup");
      const message = await refusal(() =>
        backupDataDir({ dataDir: `${dir}/data`, file: `${dir}/b.sqlite3` })
      );
      assert(message.includes("--force"), message);
      assertEquals(await Deno.readTextFile(`${dir}/b.sqlite3`), "an older backup");
      await backupDataDir({ dataDir: `${dir}/data`, file: `${dir}/b.sqlite3`, force: true });
      assertEquals((await inspectBackup(`${dir}/b.sqlite3`)).tables.users, 2);
    } finally {
      await store.close();
    }
  });
});

Deno.test("backupDataDir() refuses to write over the store itself, even with force", async () => {
  await inTemp(async (dir) => {
    const store = await serving(`${dir}/data`);
    try {
      for (const name of [SQLITE_FILE, `${SQLITE_FILE}-wal`, `${SQLITE_FILE}.lock`]) {
        const message = await refusal(() =>
          backupDataDir({
            dataDir: `${dir}/data`,
            file: `${dir}/data/../data/${name}`,
            force: true,
          })
        );
        assert(message.includes("over the store itself"), message);
      }
      assertEquals((await store.accounts.search("élodie", 10)).length, 1);
    } finally {
      await store.close();
    }
  });
});

Deno.test("backupDataDir() refuses a folder with no store, saying why", async () => {
  await inTemp(async (dir) => {
    const cases: [string, string][] = [
      [`${dir}/missing`, "does not exist"],
      [dir, `holds no store (no ${SQLITE_FILE})`],
    ];
    await Deno.mkdir(`${dir}/pglite`);
    await Deno.writeTextFile(`${dir}/pglite/PG_VERSION`, "17\n");
    cases.push([`${dir}/pglite`, "start the server on it once to convert it"]);
    for (const [dataDir, why] of cases) {
      const message = await refusal(() => backupDataDir({ dataDir, file: `${dir}/b.sqlite3` }));
      assert(message.includes(why), message);
    }
    const store = await serving(`${dir}/data`);
    try {
      const message = await refusal(() =>
        backupDataDir({ dataDir: `${dir}/data`, file: `${dir}/nowhere/b.sqlite3` })
      );
      assert(message.includes("does not exist"), message);
    } finally {
      await store.close();
    }
  });
});

Deno.test("restoreBackup() refuses a folder that holds anything", async () => {
  await inTemp(async (dir) => {
    const store = await serving(`${dir}/data`);
    await backupDataDir({ dataDir: `${dir}/data`, file: `${dir}/b.sqlite3` });
    await store.close();
    await Deno.mkdir(`${dir}/used`);
    await Deno.writeTextFile(`${dir}/used/notes.txt`, "mine");
    const message = await refusal(() =>
      restoreBackup({ file: `${dir}/b.sqlite3`, dataDir: `${dir}/used` })
    );
    assert(message.includes("is not empty (it holds notes.txt)"), message);
    assertEquals((await Array.fromAsync(Deno.readDir(`${dir}/used`))).length, 1);
    // The live data folder is refused the same way.
    await refusal(() => restoreBackup({ file: `${dir}/b.sqlite3`, dataDir: `${dir}/data` }));
    // An empty folder is fine.
    await Deno.mkdir(`${dir}/empty`);
    await restoreBackup({ file: `${dir}/b.sqlite3`, dataDir: `${dir}/empty` });
  });
});

Deno.test("restoreBackup() takes a folder left with only its lock file, privately", async () => {
  await inTemp(async (dir) => {
    const store = await serving(`${dir}/data`);
    await backupDataDir({ dataDir: `${dir}/data`, file: `${dir}/b.sqlite3` });
    await store.close();
    // A copy of the backup readable by all: the restored store is still its owner's only.
    await Deno.chmod(`${dir}/b.sqlite3`, 0o644);
    // What a restore that failed (or a server that could not start) leaves behind.
    await Deno.mkdir(`${dir}/new`);
    await Deno.writeFile(`${dir}/new/${SQLITE_FILE}.lock`, new Uint8Array());
    await restoreBackup({ file: `${dir}/b.sqlite3`, dataDir: `${dir}/new` });
    assertEquals((await Deno.stat(`${dir}/new/${SQLITE_FILE}`)).mode! & 0o777, 0o600);
    assertEquals((await Array.fromAsync(Deno.readDir(`${dir}/new`))).map((e) => e.name).sort(), [
      SQLITE_FILE,
      `${SQLITE_FILE}.lock`,
    ]);
  });
});

Deno.test("restoreBackup(): of restores into one folder at once, one writes it, the others are refused", async () => {
  await inTemp(async (dir) => {
    const store = await serving(`${dir}/data`);
    await backupDataDir({ dataDir: `${dir}/data`, file: `${dir}/two.sqlite3` });
    await user(store, "third");
    await backupDataDir({ dataDir: `${dir}/data`, file: `${dir}/three.sqlite3` });
    await store.close();
    const files = [`${dir}/two.sqlite3`, `${dir}/three.sqlite3`];
    const results = await Promise.allSettled(
      [...files, ...files].map((file) => restoreBackup({ file, dataDir: `${dir}/new` })),
    );
    const won = results.flatMap((r, i) => r.status === "fulfilled" ? [i] : []);
    assertEquals(won.length, 1, "one restore wrote the folder");
    for (const r of results) {
      if (r.status === "rejected") assert(r.reason instanceof BackupRefusal, String(r.reason));
    }
    const users = (await inspectBackup(`${dir}/new/${SQLITE_FILE}`)).tables.users;
    assertEquals(users, won[0] % 2 === 0 ? 2 : 3, "the store is the one the winner restored");
  });
});

Deno.test("restoreBackup() refuses what is not a sound backup of ours, saying why", async () => {
  await inTemp(async (dir) => {
    const store = await serving(`${dir}/data`);
    try {
      await backupDataDir({ dataDir: `${dir}/data`, file: `${dir}/b.sqlite3` });
      // The live store (WAL mode): a copy of the file alone would miss what its -wal holds.
      const live = await refusal(() =>
        restoreBackup({ file: `${dir}/data/${SQLITE_FILE}`, dataDir: `${dir}/x` })
      );
      assert(live.includes("deno task backup"), live);
    } finally {
      await store.close();
    }
    await Deno.writeTextFile(`${dir}/text`, "SQLite? no.".repeat(100));
    await Deno.writeFile(`${dir}/empty`, new Uint8Array());
    const other = new DatabaseSync(`${dir}/other`);
    other.exec("CREATE TABLE notes (body text); INSERT INTO notes VALUES ('x')");
    other.close();
    await Deno.copyFile(`${dir}/b.sqlite3`, `${dir}/newer`);
    const newer = new DatabaseSync(`${dir}/newer`);
    newer.prepare(
      "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'later', 0)",
    )
      .run(latestVersion() + 1);
    newer.close();
    const cases: [string, string][] = [
      [`${dir}/absent`, "does not exist"],
      [`${dir}/text`, "is not a SQLite database"],
      [`${dir}/empty`, "it is empty"],
      [`${dir}/other`, "it has no table schema_migrations, users, conversations, messages"],
      [`${dir}/newer`, `schema version ${latestVersion() + 1}`],
    ];
    for (const [file, why] of cases) {
      const message = await refusal(() => restoreBackup({ file, dataDir: `${dir}/x` }));
      assert(message.includes(why), `${file}: ${message}`);
    }
    // Nothing was written for any of them.
    await assertRejects(() => Deno.stat(`${dir}/x`), Deno.errors.NotFound);
  });
});

Deno.test("summaryLines() lists the version, bytes and time, then rows by table", () => {
  assertEquals(
    summaryLines({ file: "b", version: 7, bytes: 10, ms: 3, tables: { messages: 12, users: 2 } }),
    ["b: schema version 7, 10 bytes, 3 ms", "  messages 12", "  users    2"],
  );
});
