/**
 * Migration 6 (group administration and blocks) on a database that has groups
 * already: what its tests, one per dialect, put in a database at version 5,
 * and what they expect of the store the migration then leaves.
 */
import { assertEquals } from "../../../tests/assert.ts";
import { MIGRATIONS } from "../migrations.ts";
import type { Store } from "../mod.ts";

/** The statements that make a database at version 5: three users, a group of them, a join seq. */
export function groupsAtVersion5(dialect: "sql" | "sqlite"): string[] {
  return [
    "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)",
    ...MIGRATIONS.slice(0, 5).map((m) => m[dialect]),
    `INSERT INTO schema_migrations VALUES (1, 'initial schema', 0), (2, 'skeletons', 0),
       (3, 'history', 0), (4, 'settings', 0), (5, 'messages version 2', 0)`,
    `INSERT INTO users (id, username, username_lower, skeleton, password_hash, nickname, created_at)
     VALUES (1, 'ann', 'ann', 'ann', 'h', 'Ann', 5), (2, 'bob', 'bob', 'bob', 'h', 'Bob', 6),
            (3, 'cat', 'cat', 'cat', 'h', 'Cat', 7)`,
    `INSERT INTO groups (id, name, avatar_media_id, owner_id, created_at, history)
     VALUES (10, 'Old team', NULL, 1, 8, 'since_join')`,
    `INSERT INTO group_members (group_id, user_id, role, joined_at, join_seq)
     VALUES (10, 1, 'owner', 8, 0), (10, 2, 'member', 8, 0), (10, 3, 'member', 9, 4)`,
  ];
}

/** Old groups read with no notice, open, not muted; members keep roles and join seqs, unmuted; admins may be made. */
export async function assertOldGroupsKept(store: Store): Promise<void> {
  assertEquals(await store.groups.get("10"), {
    id: "10",
    name: "Old team",
    avatarMediaId: null,
    ownerId: "1",
    memberCount: 3,
    createdAt: 8,
    history: "since_join",
    notice: "",
    joinPolicy: "open",
    muted: false,
  });
  assertEquals(await store.groups.members("10"), [
    { userId: "1", role: "owner", mutedUntil: null },
    { userId: "2", role: "member", mutedUntil: null },
    { userId: "3", role: "member", mutedUntil: null },
  ]);
  assertEquals(await store.groups.historyFloor("10", "3"), 4);
  assertEquals(await store.groups.idsOf("3"), ["10"], "the index by user is there");
  assertEquals(await store.groups.setRole("10", "2", "admin"), true);
  assertEquals(await store.groups.role("10", "2"), "admin");
  assertEquals(await store.groups.removeMember("10", "1"), { removed: true, newOwner: "2" });
  assertEquals(await store.blocks.block("1", "2", 10), true);
}
