/**
 * A system message (a change of a group, written by the server) as one readable line:
 * "Alice made Bob an admin", "Bob was muted until 14:05", "Carol joined", "The group was
 * renamed to “Climbers”". The reader is "You" / "you" in it.
 */
import type { SystemContent } from "../client/mod.ts";
import { type Clock, daysAgo, fullDateTime, timeOfDay } from "./format.ts";
import { LONG_MUTE_MS } from "./group_admin_state.ts";

/** Whom a line names: the reader's id and a nickname for any other user. */
export interface Names {
  me: string;
  nameOf(userId: string): string;
}

/** When a mute ends, as a line says it: the time today, else the date and time. */
export function untilText(until: number, now: number, clock: Clock = {}): string {
  return daysAgo(until, now, clock) === 0 ? timeOfDay(until, clock) : fullDateTime(until, clock);
}

/** The line of a system message sent at `sentAt`, read at `now`. */
export function systemText(
  content: SystemContent,
  sentAt: number,
  { me, nameOf }: Names,
  now: number = Date.now(),
  clock: Clock = {},
): string {
  const { event, userId = "", by, value } = content;
  /** A user as the subject of a sentence. */
  const subject = (id: string) => id === me ? "You" : nameOf(id);
  /** A user as its object. */
  const object = (id: string) => id === me ? "you" : nameOf(id);
  const was = (id: string) => id === me ? "were" : "was";
  switch (event) {
    case "created":
      return `${subject(by)} created the group`;
    case "joined":
      return by === userId ? `${subject(userId)} joined` : `${subject(by)} added ${object(userId)}`;
    case "left":
      return `${subject(userId)} left`;
    case "removed":
      return `${subject(by)} removed ${object(userId)}`;
    case "role":
      return value === "admin"
        ? `${subject(by)} made ${object(userId)} an admin`
        : `${subject(by)} removed ${object(userId)} as admin`;
    case "muted": {
      if (!userId) {
        return value === "on"
          ? `${subject(by)} muted the group: only the owner and admins can send`
          : `${subject(by)} unmuted the group: everyone can send`;
      }
      if (value === undefined) return `${subject(userId)} ${was(userId)} unmuted`;
      const until = Number(value);
      return until - sentAt > LONG_MUTE_MS
        ? `${subject(userId)} ${was(userId)} muted until unmuted`
        : `${subject(userId)} ${was(userId)} muted until ${untilText(until, now, clock)}`;
    }
    case "renamed":
      return by === me
        ? `You renamed the group to “${value ?? ""}”`
        : `The group was renamed to “${value ?? ""}” by ${nameOf(by)}`;
    case "notice":
      return value
        ? `${subject(by)} changed the group notice`
        : `${subject(by)} removed the group notice`;
    case "policy":
      return `${subject(by)} ${policyText(value)}`;
    case "transferred":
      return `${subject(by)} made ${object(userId)} the owner`;
    default:
      return "The group changed";
  }
}

function policyText(value: string | undefined): string {
  switch (value) {
    case "open":
      return "let anyone join the group";
    case "approval":
      return "made joining need approval by the owner or an admin";
    case "invite":
      return "made the group invite-only: members add people";
    case "all":
      return "let new members read the whole history";
    case "since_join":
      return "made new members read from when they join";
    default:
      return "changed who may join";
  }
}
