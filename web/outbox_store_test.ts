/// <reference lib="deno.ns" />
import { assertEquals } from "../tests/assert.ts";
import {
  draftsKey,
  outboxKey,
  OutboxStore,
  type StorageLike,
  type StoredSend,
} from "./outbox_store.ts";

/** A Storage in memory; `full` makes every write throw, as a full localStorage does. */
class MemoryStorage implements StorageLike {
  readonly items = new Map<string, string>();
  full = false;
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    if (this.full) throw new DOMException("full", "QuotaExceededError");
    this.items.set(key, String(value));
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

function send(clientMsgId: string, text = clientMsgId, conversationId = "u:1:2"): StoredSend {
  return {
    clientMsgId,
    conversationId,
    to: { type: "user", id: "2" },
    content: { type: "text", text },
  };
}

Deno.test("OutboxStore keeps sends in order; put() replaces in place, remove() forgets", () => {
  const storage = new MemoryStorage();
  const store = new OutboxStore(storage, "1");
  store.put(send("a"));
  store.put(send("b"));
  store.put(send("c"));
  store.put({ ...send("b"), failed: "too long" });
  store.remove("a");
  store.remove("nothing");
  assertEquals(new OutboxStore(storage, "1").sends(), [
    { ...send("b"), failed: "too long" },
    send("c"),
  ]);
  assertEquals(store.waiting(), 1, "a refused send does not count as waiting");
});

Deno.test("OutboxStore keeps each account apart, under keys with the user id", () => {
  const storage = new MemoryStorage();
  const ann = new OutboxStore(storage, "1");
  const bob = new OutboxStore(storage, "2");
  ann.put(send("a"));
  ann.setDraft("u:1:2", "half a thought");
  assertEquals(bob.sends(), []);
  assertEquals(bob.draft("u:1:2"), "");
  assertEquals([...storage.items.keys()].sort(), [draftsKey("1"), outboxKey("1")].sort());
  bob.clear();
  assertEquals(ann.sends(), [send("a")], "another account's clear() leaves them");
  ann.clear();
  assertEquals(storage.items.size, 0);
});

Deno.test("OutboxStore drafts per chat; an empty draft is forgotten", () => {
  const storage = new MemoryStorage();
  const store = new OutboxStore(storage, "1");
  store.setDraft("u:1:2", "to Bob");
  store.setDraft("g:9", "to the group");
  assertEquals(store.draft("u:1:2"), "to Bob");
  assertEquals(store.draft("g:9"), "to the group");
  store.setDraft("u:1:2", "");
  assertEquals(store.draft("u:1:2"), "");
  assertEquals(JSON.parse(storage.getItem(draftsKey("1"))!), { "g:9": "to the group" });
});

Deno.test("OutboxStore reads what something else wrote there as nothing, and skips bad entries", () => {
  const storage = new MemoryStorage();
  const store = new OutboxStore(storage, "1");
  storage.setItem(outboxKey("1"), "not json");
  storage.setItem(draftsKey("1"), "[1,2]");
  assertEquals(store.sends(), []);
  assertEquals(store.draft("u:1:2"), "");
  storage.setItem(outboxKey("1"), JSON.stringify([{ clientMsgId: 1 }, send("a"), null]));
  storage.setItem(draftsKey("1"), JSON.stringify({ "u:1:2": "ok", "g:9": 5 }));
  assertEquals(store.sends(), [send("a")]);
  assertEquals(store.draft("u:1:2"), "ok");
  assertEquals(store.draft("g:9"), "");
});

Deno.test("OutboxStore goes on without its copy when the storage refuses writes", () => {
  const storage = new MemoryStorage();
  const store = new OutboxStore(storage, "1");
  store.put(send("a"));
  storage.full = true;
  store.put(send("b"));
  store.setDraft("u:1:2", "lost");
  assertEquals(store.sends(), [send("a")]);
  assertEquals(store.draft("u:1:2"), "");
});
