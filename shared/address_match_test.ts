import { assertEquals, assertThrows } from "../tests/assert.ts";
import { addressMatcher, parseAddress, parseRange } from "./address_match.ts";

Deno.test("parseAddress() reads IPv4, IPv6, mapped and bracketed addresses; null for others", () => {
  assertEquals(parseAddress("10.0.0.1"), (0xffffn << 32n) | 0x0a000001n);
  assertEquals(parseAddress("::ffff:10.0.0.1"), parseAddress("10.0.0.1"));
  assertEquals(parseAddress("::1"), 1n);
  assertEquals(parseAddress("[::1]"), 1n);
  assertEquals(parseAddress("fe80::1%eth0"), (0xfe80n << 112n) | 1n);
  assertEquals(parseAddress("2001:db8:0:0:0:0:0:1"), parseAddress("2001:db8::1"));
  for (const bad of ["", "10.0.0", "10.0.0.256", "1::2::3", "g::1", "1:2:3:4:5:6:7:8:9", "x"]) {
    assertEquals(parseAddress(bad), null, bad);
  }
});

Deno.test("addressMatcher() matches ranges of either family, an IPv4 client on a dual-stack socket too", () => {
  const local = addressMatcher(["127.0.0.0/8", "::1", "10.0.0.0/8", "172.16.0.0/12", "fc00::/7"]);
  for (
    const yes of [
      "127.0.0.1",
      "127.9.9.9",
      "::1",
      "10.200.1.1",
      "::ffff:10.1.2.3",
      "172.31.255.255",
      "fd12::9",
    ]
  ) {
    assertEquals(local(yes), true, yes);
  }
  for (const no of ["128.0.0.1", "172.32.0.1", "11.0.0.1", "::2", "2001:db8::1", "", "garbage"]) {
    assertEquals(local(no), false, no);
  }
  assertEquals(addressMatcher(["0.0.0.0/0"])("8.8.8.8"), true);
  assertEquals(addressMatcher(["0.0.0.0/0"])("2001:db8::1"), false);
  assertEquals(addressMatcher(["::/0"])("2001:db8::1"), true);
  assertEquals(addressMatcher([])("127.0.0.1"), false);
});

Deno.test("parseRange() refuses malformed ranges", () => {
  for (const bad of ["10.0.0.0/33", "::/129", "10.0.0.0/8/1", "10.0.0.0/x", "nope/8"]) {
    assertEquals(parseRange(bad), null, bad);
  }
  assertThrows(() => addressMatcher(["10.0.0.0/40"]));
});
