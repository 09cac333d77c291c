import { PGlite } from "@electric-sql/pglite";
import { inTempDir, testStore } from "./_contract/mod.ts";
import { assertOldGroupsKept, groupsAtVersion5 } from "./_contract/old_groups.ts";
import { assertOldMessagesKept, messagesAtVersion4 } from "./_contract/old_messages.ts";
import { openPgliteStore } from "./pglite.ts";

testStore(
  "PGlite (the engine of data folders before SQLite)",
  () => openPgliteStore({ dataDir: "memory://" }),
  {
    reopenable: () =>
      inTempDir((dataDir, searchIndex) => openPgliteStore({ dataDir, searchIndex })),
  },
);

Deno.test("PGlite migration 5 keeps old messages as plain messages that take edits and recalls", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const raw = new PGlite(dataDir);
    try {
      for (const statement of messagesAtVersion4("sql")) await raw.exec(statement);
    } finally {
      await raw.close();
    }
    const store = await openPgliteStore({ dataDir });
    try {
      await assertOldMessagesKept(store);
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("PGlite migration 6 keeps old groups and members, which may then have admins", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const raw = new PGlite(dataDir);
    try {
      for (const statement of groupsAtVersion5("sql")) await raw.exec(statement);
    } finally {
      await raw.close();
    }
    const store = await openPgliteStore({ dataDir });
    try {
      await assertOldGroupsKept(store);
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
