/**
 * The pieces of tests/web_navigation.browser.ts: the widths, accounts made through the SDK, the
 * message list's scroll position and read frames as the page sends them, the layout checks, and
 * the Notification and AudioContext stubs the page gets before its own script.
 */
import { assertEquals } from "./assert.ts";
import {
  type BrowserContext,
  browserTestsEnabled,
  launch,
  type Page,
  PASSWORD,
  shot,
} from "./browser.ts";

import { ImClient } from "../client/mod.ts";
import { startServer, uniqueName } from "./harness.ts";
import { auditProblems, overflowProblems } from "./web_layout_audit.ts";

const enabled = browserTestsEnabled();

/** The two widths every scenario runs at. */
export const DEVICES = [
  {
    name: "phone",
    options: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
  },
  { name: "desktop", options: { viewport: { width: 1100, height: 760 } } },
] as const;

export type Device = (typeof DEVICES)[number];

/** A registered, connected account with a nickname. */
export async function person(url: string, nickname: string): Promise<ImClient> {
  const client = new ImClient({ baseUrl: url });
  await client.register(uniqueName(nickname.toLowerCase()), PASSWORD, nickname);
  await client.connect();
  return client;
}

/** The account's username. */
export async function username(client: ImClient): Promise<string> {
  return (await client.me()).username;
}

/** The read frames the page sends on its sockets, by seq. */
export function readFrames(page: Page): number[] {
  const seqs: number[] = [];
  page.on("websocket", (ws) =>
    ws.on("framesent", ({ payload }) => {
      const read = /"op":"read".*"seq":(\d+)/.exec(String(payload));
      if (read) seqs.push(Number(read[1]));
    }));
  return seqs;
}

/**
 * A screenshot, and the layout test's checks of what the page shows: contrast, names of
 * controls, nothing wider than the screen (at a phone's 390 px and at 320 px).
 */
export async function look(page: Page, name: string): Promise<void> {
  await shot(page, name);
  assertEquals(await page.evaluate(auditProblems), [], name);
  const { width, height } = page.viewportSize()!;
  for (const narrow of width < 720 ? [width, 320] : [width]) {
    await page.setViewportSize({ width: narrow, height });
    assertEquals(await page.evaluate(overflowProblems), [], `${name} at ${narrow} px`);
  }
  await page.setViewportSize({ width, height });
}

/** A message of the open chat, by its text. */
export function shown(page: Page, text: string) {
  return page.locator(".messages .text", { hasText: text });
}

/** The message list's scroll position and whether its bottom is in view. */
export function scroll(page: Page): Promise<{ top: number; atBottom: boolean }> {
  return page.locator(".messages").evaluate((el) => ({
    top: el.scrollTop,
    atBottom: el.scrollHeight - el.scrollTop - el.clientHeight < 60,
  }));
}

/** Scrolls the message list to its top or bottom. */
export async function scrollTo(page: Page, where: "top" | "bottom"): Promise<void> {
  await page.locator(".messages").evaluate((el, where) => {
    el.scrollTop = where === "top" ? 0 : el.scrollHeight;
  }, where);
}

/** The reader's read mark and unread count of a conversation, as the server has them. */
export async function onServer(client: ImClient, id: string): Promise<[number, number]> {
  const conv = (await client.conversations()).find((c) => c.id === id)!;
  return [conv.readSeq, conv.unread];
}

/** One scenario at one width, with its own server, browser and context. */
export function run(
  device: Device,
  name: string,
  body: (context: BrowserContext, url: string) => Promise<void>,
) {
  Deno.test({
    name: `web (${device.name}): ${name}`,
    ignore: !enabled,
    sanitizeOps: false,
    sanitizeResources: false,
  }, async () => {
    const server = await startServer();
    const browser = await launch();
    const context = await browser.newContext(device.options);
    try {
      await body(context, server.url);
    } finally {
      await context.close().catch(() => {});
      await browser.close();
      await server.stop();
    }
  });
}

/** What the page's stubs recorded. */
export interface Recorded {
  requests: number;
  notes: { title: string; body: string; tag: string }[];
  tones: number;
}

/**
 * Stubs of the page's Notification (permission "default" until asked; then what the browser
 * says, granted by the test) and AudioContext, recording each request, notification and tone;
 * and a way to hide and show the tab.
 */
export const STUBS = `(() => {
  const record = { requests: 0, notes: [], tones: 0 };
  const shown = [];
  const Real = globalThis.Notification;
  // What the browser would remember across a reload.
  let permission = sessionStorage.getItem("stub.permission") ?? "default";
  class Stub {
    static get permission() { return permission; }
    static async requestPermission() {
      record.requests++;
      permission = await Real.requestPermission();
      sessionStorage.setItem("stub.permission", permission);
      return permission;
    }
    constructor(title, options = {}) {
      this.onclick = null;
      record.notes.push({ title, body: options.body ?? "", tag: options.tag ?? "" });
      shown.push(this);
    }
    close() {}
  }
  class Audio {
    state = "running";
    currentTime = 0;
    destination = {};
    createGain() {
      const param = { setValueAtTime() {}, exponentialRampToValueAtTime() {} };
      return { gain: param, connect() {} };
    }
    createOscillator() {
      record.tones++;
      return { type: "", frequency: { setValueAtTime() {} }, connect() {}, start() {}, stop() {} };
    }
    resume() { return Promise.resolve(); }
    close() { return Promise.resolve(); }
  }
  Object.defineProperty(globalThis, "Notification", { value: Stub, configurable: true, writable: true });
  Object.defineProperty(globalThis, "AudioContext", { value: Audio, configurable: true, writable: true });
  globalThis.record = record;
  globalThis.clickLast = () => shown.at(-1)?.onclick?.();
  // The tab put in the background and back, as the browser tells the page.
  globalThis.show = (state) => {
    Object.defineProperty(document, "visibilityState", { value: state, configurable: true });
    document.dispatchEvent(new Event("visibilitychange"));
  };
})();`;
