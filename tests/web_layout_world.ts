/**
 * What the layout browser test (web_layout.browser.ts) works on: an account whose every list is
 * full of long names, previews, notes and unbroken words, and the way to each main screen.
 */
import { ImClient } from "../client/mod.ts";
import { openChat, type Page, PASSWORD, tab } from "./browser.ts";
import { uniqueName } from "./harness.ts";

/** A username of the longest length the server takes (32). */
export function longUsername(prefix: string): string {
  return uniqueName(prefix).padEnd(32, "x").slice(0, 32);
}

/** The long things people write: a 300-character word, a long address, a long sentence. */
export const WORD = "W".repeat(300);
export const URL_TEXT = `https://example.com/${"very-long-path-segment/".repeat(12)}?q=${
  "x".repeat(80)
}`;
export const SENTENCE =
  "This preview is well over forty characters long and keeps going for a while. "
    .repeat(4);

/** Fills every list of one account with long names, previews, notes and words. */
export async function seed(url: string) {
  const meName = longUsername("me");
  const me = new ImClient({ baseUrl: url });
  await me.register(
    meName,
    PASSWORD,
    "Maximiliana Wolfeschlegelsteinhausenbergerdorff Featherstone",
  );
  await me.connect();
  const friends: ImClient[] = [];
  for (const nickname of ["F".repeat(64), "Bartholomew Featherstonehaugh-Cholmondeley the Third"]) {
    const friend = new ImClient({ baseUrl: url });
    await friend.register(longUsername("fr"), PASSWORD, nickname);
    await friend.connect();
    const { request } = await friend.requestFriend(me.self!.id, `Hello! ${WORD.slice(0, 240)}`);
    await me.acceptFriend(request!.id);
    friends.push(friend);
  }
  for (const note of [`${SENTENCE.slice(0, 60)}${URL_TEXT}`.slice(0, 256), WORD.slice(0, 250)]) {
    const stranger = new ImClient({ baseUrl: url });
    await stranger.register(longUsername("st"), PASSWORD, "S".repeat(64));
    await stranger.requestFriend(me.self!.id, note);
  }
  const asked = new ImClient({ baseUrl: url });
  await asked.register(longUsername("as"), PASSWORD, "A".repeat(64));
  await me.requestFriend(asked.self?.id ?? (await asked.me()).id, WORD.slice(0, 200));
  const group = await me.createGroup("G".repeat(64), friends.map((f) => f.self!.id));
  await me.send({ type: "group", id: group.id }, { type: "text", text: `Mine: ${URL_TEXT}` });
  await friends[0].send({ type: "group", id: group.id }, { type: "text", text: WORD });
  await friends[1].send({ type: "group", id: group.id }, { type: "text", text: URL_TEXT });
  await friends[1].send({ type: "group", id: group.id }, { type: "text", text: SENTENCE });
  await friends[0].send({ type: "user", id: me.self!.id }, { type: "text", text: SENTENCE });
  await friends[0].send({ type: "user", id: me.self!.id }, { type: "text", text: URL_TEXT });
  await me.send({ type: "user", id: friends[1].self!.id }, { type: "text", text: WORD });
  return { me, meName, friends, group, others: [asked] };
}

/** Back to the list on a phone, where the open chat takes the screen. */
export async function toList(page: Page) {
  const back = page.getByRole("button", { name: "Back to the list" });
  if (await back.isVisible()) await back.click();
}

/** Each main screen, drawn: its name and how to get there. */
export function screens(groupName: string): [string, (page: Page) => Promise<void>][] {
  return [
    ["chats", async (page) => {
      await toList(page);
      await tab(page, "Chats");
    }],
    ["friends", async (page) => {
      await toList(page);
      await tab(page, "Friends");
      await page.locator(".results .person").first().waitFor();
    }],
    ["groups", async (page) => {
      await toList(page);
      await tab(page, "Groups");
      await page.locator(".results .person").first().waitFor();
    }],
    ["profile", async (page) => {
      await toList(page);
      await tab(page, "Profile");
    }],
    ["private-chat", async (page) => {
      await toList(page);
      await openChat(page, "F".repeat(20));
      await page.locator(".message .text", { hasText: "https://example.com" }).waitFor();
    }],
    ["group-chat", async (page) => {
      await toList(page);
      await openChat(page, groupName.slice(0, 20));
      await page.locator(".message .text", { hasText: "WWWW" }).waitFor();
      const members = page.getByRole("button", { name: "Members", exact: true });
      if (await members.getAttribute("aria-expanded") !== "true") await members.click();
      await page.locator("#members li").first().waitFor();
    }],
  ];
}
