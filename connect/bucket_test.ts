import { assertEquals } from "../tests/assert.ts";
import { Bucket } from "./bucket.ts";

function conn(userId: string) {
  const written: string[] = [];
  return { userId, written, write: (frame: string) => written.push(frame) };
}

Deno.test("Bucket group nodes list local online members and follow connects and leaves", () => {
  const bucket = new Bucket<ReturnType<typeof conn>>({ rate: 1000, burst: 1000 });
  const a1 = conn("a");
  const a2 = conn("a");
  const b = conn("b");
  bucket.add(a1, ["g1", "g2"]);
  bucket.add(a2, ["g1", "g2"]);
  bucket.add(b, ["g1"]);
  assertEquals([...bucket.groupMembers("g1")], ["a", "b"]);
  assertEquals([...bucket.connections("a")].length, 2);
  bucket.remove(a1);
  assertEquals([...bucket.groupMembers("g2")], ["a"], "a still has a connection");
  bucket.remove(a2);
  assertEquals([...bucket.groupMembers("g2")], []);
  assertEquals([...bucket.groupMembers("g1")], ["b"]);
  bucket.joinGroup("g3", "b");
  bucket.joinGroup("g3", "offline-user");
  assertEquals([...bucket.groupMembers("g3")], ["b"]);
  bucket.leaveGroup("g1", "b");
  assertEquals([...bucket.groupMembers("g1")], []);
  bucket.close();
});

Deno.test("Bucket.enqueue() writes through the token bucket, in order", () => {
  let now = 0;
  const bucket = new Bucket<ReturnType<typeof conn>>({ rate: 10, burst: 2, now: () => now });
  const c = conn("a");
  for (let i = 0; i < 5; i++) bucket.enqueue(c, `f${i}`);
  assertEquals(c.written, ["f0", "f1"]);
  assertEquals(bucket.queued, 3);
  now += 200;
  bucket.drain();
  assertEquals(c.written, ["f0", "f1", "f2", "f3"]);
  now += 100;
  bucket.drain();
  assertEquals(c.written, ["f0", "f1", "f2", "f3", "f4"]);
  assertEquals(bucket.queued, 0);
  bucket.close();
});
