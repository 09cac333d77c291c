/**
 * Browser notifications and a short tone for new messages in chats that are not
 * open, or while the tab is hidden. Which message alerts is decided by pure
 * functions (`alerts`, `notificationText`); the choice of notifications and
 * sound is kept per account in localStorage; permission is asked for only from
 * a control the user clicks (notify_settings.tsx), never on load.
 */
import type { Message, User } from "../shared/types.ts";
import type { Session } from "./session.ts";
import { reading, type State, title } from "./state.ts";

/** What one account chose; both off until the user turns them on. */
export interface NotifyPrefs {
  notifications: boolean;
  sound: boolean;
}

/** Nothing on: the choice of an account that never chose. */
export const ALL_OFF: NotifyPrefs = { notifications: false, sound: false };

/** The longest preview a notification shows, in characters. */
export const PREVIEW_CHARS = 100;

/** Where an account's choice is kept. */
export function prefsKey(userId: string): string {
  return `im.notify.${userId}`;
}

/** An account's choice, as kept in `storage`. */
export function loadPrefs(storage: Pick<Storage, "getItem">, userId: string): NotifyPrefs {
  try {
    const kept = JSON.parse(storage.getItem(prefsKey(userId)) ?? "null");
    return {
      notifications: kept?.notifications === true,
      sound: kept?.sound === true,
    };
  } catch {
    return ALL_OFF;
  }
}

/** Keeps an account's choice in `storage`. */
export function savePrefs(
  storage: Pick<Storage, "setItem">,
  userId: string,
  prefs: NotifyPrefs,
): void {
  storage.setItem(prefsKey(userId), JSON.stringify(prefs));
}

/**
 * Whether a new message alerts: not one's own, not an update of another nor a
 * system line, not in
 * a muted chat (`muted: true` on its summary), and not in the chat open in
 * front of the user.
 */
export function alerts(message: Message, state: State): boolean {
  if (message.from === state.me.id) return false;
  // Changes of a group (system lines) are not news to alert for: they never count as unread.
  if (message.content.type === "update" || message.content.type === "system") return false;
  // Muted here or on another device (conversation_update): no notification, and no tone.
  if (state.conversations.get(message.conversationId)?.muted === true) return false;
  return !reading(state, message.conversationId);
}

/** A notification's title (the sender, and the group) and body (a short preview). */
export function notificationText(
  message: Message,
  state: State,
  sender: Pick<User, "nickname"> | null = state.users.get(message.from) ?? null,
): { title: string; body: string } {
  const name = sender?.nickname ?? "Someone";
  const conv = state.conversations.get(message.conversationId);
  const where = conv?.type === "group" ? ` in ${title(state, conv)}` : "";
  const content = message.content;
  const text = content.type === "text" ? content.text.replace(/\s+/g, " ").trim() : "";
  const chars = [...text];
  const body = content.type === "text"
    ? chars.length > PREVIEW_CHARS ? `${chars.slice(0, PREVIEW_CHARS - 1).join("")}…` : text
    : content.type === "image"
    ? "Sent an image"
    : content.type === "file"
    ? `Sent a file: ${content.name}`
    : "Sent a message";
  return { title: `${name}${where}`, body };
}

/** Whether this browser can show notifications. */
export function notificationsSupported(): boolean {
  return typeof Notification !== "undefined";
}

/** Shows the notifications and plays the tone of a session's new messages; `close()` stops. */
export class Notifier {
  readonly #session: Session;
  readonly #off: (() => void)[] = [];
  #audio: AudioContext | null = null;
  /** Notifications on screen: closed with the session, so no preview outlives a sign-out. */
  readonly #shown = new Set<Notification>();
  #closed = false;

  constructor(session: Session) {
    this.#session = session;
    this.#off.push(session.onArrival((message, state) => void this.#arrived(message, state)));
    // Browsers start audio only after a gesture: the first one with the sound on prepares it.
    const gesture = () => {
      if (this.#prefs().sound) this.#unlock();
    };
    for (const type of ["pointerdown", "keydown", "change"]) {
      document.addEventListener(type, gesture);
      this.#off.push(() => document.removeEventListener(type, gesture));
    }
  }

  #prefs(): NotifyPrefs {
    return loadPrefs(localStorage, this.#session.state.me.id);
  }

  async #arrived(message: Message, state: State): Promise<void> {
    if (!alerts(message, state)) return;
    const prefs = this.#prefs();
    if (prefs.sound) this.#tone();
    if (!prefs.notifications || !notificationsSupported()) return;
    if (Notification.permission !== "granted") return;
    // A group member this page has not met yet: asked for by id.
    const sender = state.users.get(message.from) ??
      (await this.#session.client.user(message.from).catch(() => null))?.user ?? null;
    if (this.#closed) return; // Signed out while the sender was looked up.
    const text = notificationText(message, this.#session.state, sender);
    const shown = new Notification(text.title, { body: text.body, tag: message.conversationId });
    this.#shown.add(shown);
    shown.onclose = () => this.#shown.delete(shown);
    shown.onclick = () => {
      focus();
      this.#session.openById(message.conversationId);
      shown.close();
    };
  }

  #unlock(): void {
    if (typeof AudioContext === "undefined") return;
    this.#audio ??= new AudioContext();
    if (this.#audio.state === "suspended") void this.#audio.resume().catch(() => {});
  }

  /** A soft two-note chime, a quarter of a second long. */
  #tone(): void {
    const audio = this.#audio;
    if (!audio || audio.state !== "running") return;
    const start = audio.currentTime;
    const gain = audio.createGain();
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.12, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.25);
    gain.connect(audio.destination);
    const tone = audio.createOscillator();
    tone.type = "sine";
    tone.frequency.setValueAtTime(880, start);
    tone.frequency.setValueAtTime(1175, start + 0.09);
    tone.connect(gain);
    tone.start(start);
    tone.stop(start + 0.26);
  }

  /** Stops alerting, closes the notifications still shown and lets the audio go. */
  close(): void {
    this.#closed = true;
    for (const off of this.#off.splice(0)) off();
    for (const shown of this.#shown) shown.close();
    this.#shown.clear();
    void this.#audio?.close().catch(() => {});
    this.#audio = null;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
