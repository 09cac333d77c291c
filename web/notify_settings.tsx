/**
 * The notification settings of the Profile tab: "Enable notifications" asks the
 * browser's permission (only here, on that click), and a sound can be turned on;
 * the choice is kept for this account on this browser (notify.ts).
 */
import { useState } from "preact/hooks";
import { loadPrefs, notificationsSupported, type NotifyPrefs, savePrefs } from "./notify.ts";
import type { User } from "../shared/types.ts";

const BLOCKED = "Notifications are blocked for this site. Allow them in the browser's site " +
  "settings, then choose Enable notifications again.";

/** The notification and sound choices of the signed-in user. */
export function NotifySettings({ me }: { me: User }) {
  const [prefs, setPrefs] = useState<NotifyPrefs>(() => loadPrefs(localStorage, me.id));
  const [note, setNote] = useState("");
  const supported = notificationsSupported();
  const change = (next: NotifyPrefs) => {
    savePrefs(localStorage, me.id, next);
    setPrefs(next);
  };
  const enable = async () => {
    setNote("");
    const permission = Notification.permission === "granted"
      ? "granted"
      : await Notification.requestPermission();
    if (permission === "granted") change({ ...prefs, notifications: true });
    else setNote(BLOCKED);
  };
  const on = supported && prefs.notifications && Notification.permission === "granted";
  return (
    <fieldset class="notify-settings">
      <legend>Notifications</legend>
      {!supported && <p class="muted">This browser cannot show notifications.</p>}
      {supported && (
        <p class="muted" role="status">
          {on
            ? "On: new messages in other chats, or while this tab is hidden, show a notification."
            : note || "Off: new messages show only in this page."}
        </p>
      )}
      {supported && !on && (
        <button type="button" onClick={() => void enable()}>Enable notifications</button>
      )}
      {on && (
        <button
          type="button"
          class="ghost"
          onClick={() => change({ ...prefs, notifications: false })}
        >
          Turn off notifications
        </button>
      )}
      <label class="check">
        <input
          type="checkbox"
          checked={prefs.sound}
          onChange={(e) => change({ ...prefs, sound: e.currentTarget.checked })}
        />
        Play a sound for new messages
      </label>
    </fieldset>
  );
}
