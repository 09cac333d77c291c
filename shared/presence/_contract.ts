/** The contract suite of the Presence port, run once per implementation. */
import { assertEquals } from "../../tests/assert.ts";
import type { Presence } from "./mod.ts";

/** Runs the Presence contract against presences made by `open`. */
export function testPresence(
  name: string,
  open: () => Promise<Presence>,
  { ignore = false }: { ignore?: boolean } = {},
): void {
  Deno.test({
    name: `${name}: reports the first and last connection of a user across servers`,
    ignore,
  }, async () => {
    const presence = await open();
    assertEquals(await presence.connect("u1", "s1", "c1"), true);
    assertEquals(await presence.connect("u1", "s2", "c2"), false);
    assertEquals(await presence.connect("u2", "s1", "c3"), true);
    assertEquals([...(await presence.online(["u1", "u2", "u3"]))].sort(), ["u1", "u2"]);
    assertEquals(await presence.count(), 2);
    assertEquals([...(await presence.routes(["u1", "u2"])).entries()].sort(), [
      ["s1", ["u1", "u2"]],
      ["s2", ["u1"]],
    ]);
    assertEquals(await presence.disconnect("u1", "s1", "c1"), false);
    assertEquals(await presence.disconnect("u1", "s1", "c1"), false, "twice changes nothing");
    assertEquals(await presence.disconnect("u1", "s2", "c2"), true);
    assertEquals((await presence.online(["u1"])).size, 0);
    assertEquals(await presence.count(), 1);
    await presence.close();
  });

  Deno.test(
    { name: `${name}: dropServer() forgets a server and names who went offline`, ignore },
    async () => {
      const presence = await open();
      await presence.connect("u1", "s1", "c1");
      await presence.connect("u2", "s1", "c2");
      await presence.connect("u2", "s2", "c3");
      assertEquals((await presence.servers()).sort(), ["s1", "s2"]);
      assertEquals(await presence.dropServer("s1"), ["u1"]);
      assertEquals([...(await presence.online(["u1", "u2"]))], ["u2"]);
      assertEquals(await presence.servers(), ["s2"], "a dropped server holds no route");
      await presence.close();
    },
  );
}
