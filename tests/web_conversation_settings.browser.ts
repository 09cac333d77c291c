/**
 * In a real browser, at phone and desktop width: the conversation menu (a list item's ⋯, its
 * long press on a phone or right click on a desktop, the chat header's ⋯) pins, mutes and
 * hides a chat; pinned ones come first with a pin mark, muted ones carry a muted mark, a hidden
 * one leaves the list until its peer writes again; and a second browser of the same user
 * follows every change live.
 */
import { assert, assertEquals } from "./assert.ts";
import { openChat, type Page, signIn } from "./browser.ts";
import { befriend, eventually } from "./harness.ts";
import { DEVICES, look, person, username } from "./_web_navigation_page.ts";
import { listItem, listNames, runDevices, toList } from "./_web_search_page.ts";

/** Opens a list item's menu: by its ⋯ button, or the way a reader would on that device. */
async function itemMenu(page: Page, name: string, how: "button" | "press", touch: boolean) {
  const item = listItem(page, name);
  if (how === "button") {
    await item.getByRole("button", { name: "Chat options" }).click();
  } else if (touch) {
    // A long press of a touch: the pointer rests past LONG_PRESS_MS.
    const row = item.locator(".conversation");
    await row.dispatchEvent("pointerdown", { pointerType: "touch", isPrimary: true });
    await page.waitForTimeout(700);
    await row.dispatchEvent("pointerup", { pointerType: "touch", isPrimary: true });
  } else {
    await item.locator(".conversation").click({ button: "right" });
  }
  await page.getByRole("menu", { name: "Chat options" }).waitFor();
}

for (const device of DEVICES) {
  const phone = device.name === "phone";

  runDevices(device, "pin, mute and hide a chat, live on a second device", async (url, open) => {
    const ann = await person(url, "Ann");
    const [bob, cara, dan] = [
      await person(url, "Bob"),
      await person(url, "Cara"),
      await person(url, "Dan"),
    ];
    try {
      for (const friend of [bob, cara, dan]) {
        await befriend(ann, friend);
        await friend.send({ type: "user", id: ann.self!.id }, {
          type: "text",
          text: `hello from ${friend.self!.nickname}`,
        });
      }
      const name = await username(ann);
      const [first, second] = [await (await open()).newPage(), await (await open()).newPage()];
      await signIn(first, url, name);
      await signIn(second, url, name);
      for (const page of [first, second]) {
        await eventually(async () => (await listNames(page)).join() === "Dan,Cara,Bob");
      }

      // Pin the oldest: it goes first, with its mark, here and on the other device.
      await itemMenu(first, "Bob", phone ? "press" : "button", phone);
      await look(first, `${device.name}-settings-menu`);
      await first.getByRole("menuitem", { name: "Pin" }).click();
      for (const page of [first, second]) {
        await eventually(async () => (await listNames(page)).join() === "Bob,Dan,Cara");
        await listItem(page, "Bob").getByRole("img", { name: "Pinned" }).waitFor();
      }
      assert(!(await first.locator(".chat-title").isVisible()), "a long press opens no chat");

      // Mute from the other device's chat header: the muted mark shows on the first.
      await openChat(second, "Cara");
      await second.locator(".chat-header").getByRole("button", { name: "Chat options" })
        .click();
      await look(second, `${device.name}-settings-header-menu`);
      await second.getByRole("menuitem", { name: "Mute notifications" }).click();
      await listItem(first, "Cara").getByRole("img", { name: "Muted" }).waitFor();
      await second.locator(".chat-header").getByRole("button", { name: "Chat options" })
        .click();
      await second.getByRole("menuitem", { name: "Unmute notifications" }).waitFor();
      await second.keyboard.press("Escape");
      await second.getByRole("menu").waitFor({ state: "detached" });
      assertEquals(
        await ann.conversations().then((l) => l.find((c) => c.peer?.id === cara.self!.id)?.muted),
        true,
      );
      await look(first, `${device.name}-settings-marks`);

      // Hide Dan (a right click or long press): gone on both devices, and from the server's list.
      await itemMenu(first, "Dan", "press", phone);
      await first.getByRole("menuitem", { name: "Hide chat" }).click();
      for (const page of [first, second]) {
        await eventually(async () => (await listNames(page)).join() === "Bob,Cara");
      }
      assertEquals((await ann.conversations()).length, 2);
      await look(first, `${device.name}-settings-hidden`);

      // Dan writes again: back on both, newest of the unpinned.
      await dan.send({ type: "user", id: ann.self!.id }, { type: "text", text: "still there?" });
      for (const page of [first, second]) {
        await eventually(async () => (await listNames(page)).join() === "Bob,Dan,Cara");
      }

      // Unpin from the chat header: Bob goes back to its place by time.
      await toList(second);
      await openChat(first, "Bob");
      await first.locator(".chat-header").getByRole("button", { name: "Chat options" }).click();
      await first.getByRole("menuitem", { name: "Unpin" }).click();
      await toList(first);
      for (const page of [first, second]) {
        await eventually(async () => (await listNames(page)).join() === "Dan,Cara,Bob");
        assertEquals(await page.locator(".conversation[data-pinned]").count(), 0);
      }

      // Hiding the open chat closes it.
      await openChat(first, "Cara");
      await first.locator(".chat-header").getByRole("button", { name: "Chat options" }).click();
      await first.getByRole("menuitem", { name: "Hide chat" }).click();
      await first.locator(".chat-title", { hasText: "Cara" }).waitFor({ state: "detached" });
      await eventually(async () => (await listNames(first)).join() === "Dan,Bob");
      await look(first, `${device.name}-settings-after`);
    } finally {
      for (const client of [ann, bob, cara, dan]) await client.close();
    }
  });
}
