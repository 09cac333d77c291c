/**
 * A conversation's menu (the chat header's ⋯, and a list item's ⋯, right click or long press):
 * Pin or Unpin, Mute or Unmute notifications, Hide chat. The change is the server's: every
 * device of the user hears it (`conversation_update`); a refusal shows as the page's notice.
 */
import { useLayoutEffect, useRef } from "preact/hooks";
import type { ConversationSettingsPatch } from "../shared/types.ts";
import { errorText, type Session } from "./session.ts";
import type { Conversation } from "./state.ts";

/** How long (ms) a touch must rest on a list item to open its menu. */
export const LONG_PRESS_MS = 500;

/** The ⋯ button that opens a conversation's menu. */
export function MenuButton({ conv, name, describedBy, open, onToggle }: {
  conv: Conversation;
  name: string;
  /** The id of what names the chat, for screen readers. */
  describedBy?: string;
  open: boolean;
  onToggle: () => void;
}) {
  return (
    <button
      type="button"
      class="ghost menu-button"
      // Its name stays "Chat options" (a label with the chat's name would also be found as a
      // label of that person elsewhere, e.g. a group's member checkbox); the title and the
      // description say which chat.
      aria-label="Chat options"
      title={`Options for ${name}`}
      aria-describedby={describedBy}
      aria-haspopup="menu"
      aria-expanded={open}
      aria-controls={open ? `menu-${conv.id}` : undefined}
      onClick={onToggle}
    >
      ⋯
    </button>
  );
}

/** The menu itself; it closes on a choice, Escape or a click elsewhere. */
export function ConversationMenu({ conv, session, onClose }: {
  conv: Conversation;
  session: Session;
  onClose: () => void;
}) {
  const menu = useRef<HTMLUListElement>(null);
  // Listening from the moment the menu is on screen (a layout effect runs before the browser
  // handles the next event): with a plain effect, an Escape pressed right after the menu opened
  // could come before its listener and leave it open (seen in a cluster browser run).
  useLayoutEffect(() => {
    menu.current?.querySelector<HTMLButtonElement>("button")?.focus();
    const away = (e: Event) => {
      const target = e.target as Node | null;
      if (target && menu.current?.contains(target)) return;
      if ((target as Element | null)?.closest?.(".menu-button")) return; // Its own toggle.
      onClose();
    };
    const key = (e: KeyboardEvent) => {
      if (e.key === "Escape") onClose();
    };
    document.addEventListener("pointerdown", away);
    document.addEventListener("keydown", key);
    return () => {
      document.removeEventListener("pointerdown", away);
      document.removeEventListener("keydown", key);
    };
  }, []);
  const change = (patch: ConversationSettingsPatch) => {
    onClose();
    session.updateConversation(conv.id, patch).catch((error) =>
      session.dispatch({ type: "notice", text: errorText(error) })
    );
  };
  const items: [string, ConversationSettingsPatch][] = [
    [conv.pinned ? "Unpin" : "Pin", { pinned: !conv.pinned }],
    [conv.muted ? "Unmute notifications" : "Mute notifications", { muted: !conv.muted }],
    ["Hide chat", { hidden: true }],
  ];
  return (
    <ul
      ref={menu}
      id={`menu-${conv.id}`}
      class="conversation-menu"
      role="menu"
      aria-label="Chat options"
      onKeyDown={(e) => {
        if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
        e.preventDefault();
        const buttons = [...menu.current!.querySelectorAll<HTMLButtonElement>("button")];
        const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
        const step = e.key === "ArrowDown" ? 1 : -1;
        buttons[(at + step + buttons.length) % buttons.length].focus();
      }}
    >
      {items.map(([label, patch]) => (
        <li key={label} role="none">
          <button type="button" role="menuitem" onClick={() => change(patch)}>{label}</button>
        </li>
      ))}
    </ul>
  );
}

/**
 * Handlers that open a menu on a long press of a touch (and block the click it would end in)
 * and on the context menu (right click, or the browser's own long press).
 */
export function useLongPress(open: () => void) {
  const press = useRef<{ timer?: ReturnType<typeof setTimeout>; fired: boolean }>({
    fired: false,
  });
  const cancel = () => clearTimeout(press.current.timer);
  return {
    onPointerDown: (e: PointerEvent) => {
      press.current.fired = false;
      if (e.pointerType !== "touch") return;
      press.current.timer = setTimeout(() => {
        press.current.fired = true;
        open();
      }, LONG_PRESS_MS);
    },
    onPointerUp: cancel,
    onPointerCancel: cancel,
    onPointerMove: (e: PointerEvent) => {
      if (Math.abs(e.movementX) + Math.abs(e.movementY) > 4) cancel();
    },
    onContextMenu: (e: Event) => {
      e.preventDefault();
      cancel();
      if (!press.current.fired) open();
      press.current.fired = true;
    },
    /** Whether the click that follows was the long press (and must not open the chat). */
    pressed: () => {
      const was = press.current.fired;
      press.current.fired = false;
      return was;
    },
  };
}
