/**
 * Small pieces the panels share. Every name, note and message is a JSX text
 * child, so Preact sets it as text, never as markup.
 */
import { type ComponentChildren, createContext } from "preact";
import { useContext } from "preact/hooks";
import { listTime } from "./format.ts";

/** True while the connection is lost: presence shown is then what it was, and may be out of date. */
export const Stale = createContext(false);

/** A picture, or the first letter of the name when there is none. */
export function Avatar(
  { who, size = "" }: {
    who: { nickname?: string; name?: string; avatar: string | null };
    size?: "" | "small" | "large";
  },
) {
  const label = who.nickname ?? who.name ?? "?";
  return who.avatar
    ? <img class={`avatar ${size}`} src={who.avatar} alt="" />
    : <span class={`avatar ${size}`} aria-hidden="true">{[...label][0] ?? "?"}</span>;
}

/** The online or offline dot; greyed, and saying so, while the connection is lost. */
export function Dot({ online }: { online: boolean }) {
  const stale = useContext(Stale);
  const state = online ? "online" : "offline";
  const label = stale ? `${state} (status may be out of date)` : state;
  return (
    <span
      class={`dot ${state}${stale ? " stale" : ""}`}
      role="img"
      aria-label={label}
      title={label}
    />
  );
}

/** A count in a bubble, shown only when above zero. */
export function Badge({ count, label, unread = false }: {
  count: number;
  label: string;
  unread?: boolean;
}) {
  if (count <= 0) return null;
  // Three digits do not fit a tab beside its name: the exact count is in the label.
  const shown = count > 99 ? "99+" : String(count);
  return <span class={unread ? "badge unread" : "badge"} aria-label={label}>{shown}</span>;
}

/** A field's or a form's error, announced when it appears. */
export function FieldError({ id, children }: { id?: string; children?: ComponentChildren }) {
  return <p class="field-error" id={id} role="alert">{children}</p>;
}

/** A person or group line: a name over a second line. */
export function Names({ name, line }: { name: string; line: string }) {
  return (
    <span class="conv-text">
      <span class="conv-name" title={name}>{name}</span>
      <span class="conv-last" title={line}>{line}</span>
    </span>
  );
}

/**
 * A person as someone deciding whom they deal with must see them: the nickname
 * (anyone can pick any) with the `@username` (unique, look-alikes refused) beside it.
 */
export function Person(
  { user, line }: { user: { nickname: string; username: string }; line?: string },
) {
  return (
    <span class="conv-text">
      <span class="conv-name" title={user.nickname}>{user.nickname}</span>
      <span class="handle">{`@${user.username}`}</span>
      {line && <span class="conv-last" title={line}>{line}</span>}
    </span>
  );
}

/** A message's time in a list: the time today, then "Yesterday", a weekday, a date. */
export function when(ms: number): string {
  return listTime(ms, Date.now());
}
