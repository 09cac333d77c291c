/**
 * Errors as plain advice. The server's errors carry a protocol code and a message written for
 * developers ("Invalid content.text: expected 1 to 4000 characters, got 4001"); `plainError()`
 * turns them, in this one place, into what a person can act on ("That message is too long: 4,000
 * characters at most."). The limits the page checks before sending anything are here too, equal to
 * the server's defaults (a unit test compares them).
 */
import { fullDateTime } from "./format.ts";

/** The limits the page checks before any byte is sent: the server's defaults. */
export const LIMITS = {
  /** Bytes of an image upload (IM_MAX_IMAGE_BYTES): 5 MiB. */
  imageBytes: 5 * 1024 * 1024,
  /** Bytes of a file upload (IM_MAX_FILE_BYTES): 25 MiB. */
  fileBytes: 25 * 1024 * 1024,
  /** How long a sender may edit a text (IM_EDIT_WINDOW_S): 48 hours, in seconds. */
  editWindowS: 172_800,
  /** How long a sender may recall a message (IM_RECALL_WINDOW_S): 24 hours, in seconds. */
  recallWindowS: 86_400,
  /** Groups up to this many members hear each other's read marks (IM_RECEIPT_GROUP_MAX). */
  receiptGroupMax: 100,
  /** Characters of a text message (IM_MAX_TEXT). */
  textMax: 4000,
  noteMax: 256,
  nicknameMax: 64,
  groupNameMax: 64,
};

/** The image types the server takes. */
export const IMAGE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/** An error as the page may meet it: the SDK's ImError, a socket's error frame, or anything. */
interface Coded {
  code: string;
  message: string;
  retryAfter?: number;
}

function isCoded(error: unknown): error is Coded {
  return typeof error === "object" && error !== null &&
    typeof (error as Coded).code === "string" && typeof (error as Coded).message === "string";
}

/** A size in bytes as people say it: "5 MB", "64 KB", "300 bytes". */
export function sizeText(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round(bytes / 1024 / 1024 * 10) / 10} MB`;
  if (bytes < 1024) return `${bytes} byte${bytes === 1 ? "" : "s"}`;
  return `${Math.round(bytes / 1024)} KB`;
}

function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** What is wrong with a file meant as an image, before it is uploaded; null when nothing. */
export function imageProblem(file: { name: string; type: string; size: number }): string | null {
  if (!IMAGE_TYPES.includes(file.type)) {
    return `"${file.name}" is not an image the chat can show. Choose a PNG, JPEG, GIF or WebP image.`;
  }
  if (file.size > LIMITS.imageBytes) {
    return `This image is larger than ${sizeText(LIMITS.imageBytes)}. Choose a smaller one.`;
  }
  if (file.size === 0) return `"${file.name}" is empty. Choose another image.`;
  return null;
}

/** What is wrong with a file to send, before it is uploaded; null when nothing. */
export function fileProblem(file: { name: string; size: number }): string | null {
  if (file.size > LIMITS.fileBytes) {
    return `"${file.name}" is larger than ${sizeText(LIMITS.fileBytes)}. Choose a smaller file.`;
  }
  if (file.size === 0) return `"${file.name}" is empty. Choose another file.`;
  return null;
}

/** What a text field is called in a sentence, by the field the server names. */
const FIELDS: Record<string, [string, string]> = {
  "content.text": ["That message", "a message"],
  username: ["The username", "a username"],
  password: ["The password", "a password"],
  nickname: ["The nickname", "a nickname"],
  name: ["The group name", "a group name"],
  note: ["The note", "a note"],
  q: ["The search", "a search"],
  notice: ["The notice", "a notice"],
};

/** `Invalid <field>: expected <min> to <max> characters, got <n>`. */
function lengthAdvice(field: string, detail: string): string | null {
  const match = /expected (\d+) to (\d+) characters, got (\d+)/.exec(detail);
  if (!match) return null;
  const [min, max, got] = match.slice(1).map(Number);
  const [the, a] = FIELDS[field] ?? ["That", "it"];
  if (field === "q" && got < min) return `Type at least ${count(min)} characters to search.`;
  if (got > max) return `${the} is too long: ${count(max)} characters at most.`;
  if (got === 0) return `Write ${a} first.`;
  return `${the} is too short: at least ${count(min)} characters.`;
}

function invalidAdvice(message: string): string {
  if (/^Image \d+×\d+/.test(message)) {
    return "This image has too many pixels. Choose a smaller picture.";
  }
  if (/^Invalid image/.test(message)) return "This file is not a readable image. Choose another.";
  if (/empty upload/.test(message)) return "This file is empty. Choose another image.";
  if (/file name|X-File-Name/i.test(message)) {
    return "The file's name cannot be used (too long, or with / \\ or control characters). Rename it and try again.";
  }
  if (/^Invalid content\.replyTo/.test(message)) {
    return "The message you answer is not in this chat any more. Send it without the reply.";
  }
  if (/^Invalid content\.mentions/.test(message)) {
    return "Someone you mention is not in this group. Remove the mention and try again.";
  }
  if (/mentions are for groups/.test(message)) return "Mentions work in groups only.";
  if (/can be edited/.test(message)) return "Only text messages can be edited.";
  const match = /^Invalid ([\w.]+): (.*)$/s.exec(message);
  if (!match) return "Something in that was not accepted. Check it and try again.";
  const [, field, detail] = match;
  const [the] = FIELDS[field] ?? ["That"];
  const length = lengthAdvice(field, detail);
  if (length) return length;
  if (field === "username" && /only letters/.test(detail)) {
    return "Usernames may use only letters, digits, '_', '.' and '-'.";
  }
  if (/control|invisible|NUL|surrogate/.test(detail)) {
    return `${the} contains invisible or special characters that cannot be used. Remove them.`;
  }
  if (/befriend yourself/.test(detail)) return "You cannot add yourself as a friend.";
  return `${the} was not accepted. Check it and try again.`;
}

function refusedAdvice(message: string): string {
  // Sign-in to an account an operator disabled (`deno task admin disable`).
  if (/account is disabled/i.test(message)) {
    return "This account is disabled. Ask the people who run this server if you think it should not be.";
  }
  if (/window|too late|expired|older than/i.test(message)) {
    return /edit/i.test(message)
      ? "This message can no longer be edited: messages can be edited for 48 hours."
      : "This message can no longer be recalled: messages can be recalled for 24 hours.";
  }
  if (/mentionAll|everyone/i.test(message)) {
    return "Only the group's owner and admins can mention everyone.";
  }
  if (/no longer write/.test(message)) return "You can no longer write to this conversation.";
  if (/Cannot recall/.test(message)) {
    return "You cannot recall this message: your own only within 24 hours of sending, others' only as the group's owner or an admin.";
  }
  if (/Cannot edit/.test(message)) return "You can edit only your own messages.";
  if (/not a friend|not your friend/.test(message)) {
    return /add/.test(message)
      ? "You can add only your friends to a group."
      : "You can message only your friends. Add them as a friend first.";
  }
  if (/not a member/.test(message)) return "You are not a member of this group.";
  const muted = /muted in group .* until (\S+)/.exec(message);
  if (muted) {
    const until = Date.parse(muted[1]);
    return Number.isNaN(until)
      ? "You are muted in this group."
      : `You are muted in this group until ${fullDateTime(until)}.`;
  }
  if (/only the owner and admins may send/.test(message)) {
    return "Only the group's owner and admins can send in this group now.";
  }
  if (/only the owner/.test(message)) return "Only the group's owner can do that.";
  const members = /more than (\d+) members/.exec(message);
  if (members) return `A group can have at most ${count(Number(members[1]))} members.`;
  return "You are not allowed to do that.";
}

function conflictAdvice(message: string): string {
  if (/username is taken/.test(message)) {
    return "That username is taken (or looks too much like one that is). Choose another.";
  }
  if (/already friends/.test(message)) return "You are already friends.";
  if (/request is pending/.test(message)) return "You have already sent this person a request.";
  if (/already a member/.test(message)) return "You are already in this group.";
  if (/recalled/.test(message)) return "This message was already recalled.";
  return "That was already done.";
}

function sizeAdvice(message: string): string {
  if (/file/i.test(message)) {
    const bytes = Number(/over (\d+) bytes/.exec(message)?.[1] ?? LIMITS.fileBytes);
    return `This file is larger than ${sizeText(bytes)}. Choose a smaller one.`;
  }
  const bytes = Number(/over (\d+) bytes/.exec(message)?.[1] ?? LIMITS.imageBytes);
  return `This image is larger than ${sizeText(bytes)}. Choose a smaller one.`;
}

function codedAdvice({ code, message, retryAfter }: Coded): string {
  switch (code) {
    case "invalid_argument":
      return invalidAdvice(message);
    case "invalid_credentials":
      return "Wrong username or password. Check both and try again.";
    case "unauthenticated":
      return "You were signed out. Sign in again.";
    case "forbidden":
      return refusedAdvice(message);
    case "not_found":
      if (/file/.test(message)) return "That file is no longer available. Choose it again.";
      if (/message/i.test(message)) return "That message no longer exists.";
      return /media/.test(message)
        ? "That image is no longer available. Choose it again."
        : "That no longer exists. It may have been removed.";
    case "conflict":
      return conflictAdvice(message);
    case "payload_too_large":
      return sizeAdvice(message);
    case "unsupported_media_type":
      return "This file is not an image the chat can show. Choose a PNG, JPEG, GIF or WebP image.";
    case "rate_limited":
      return retryAfter
        ? `Too many tries in a short time. Wait ${count(retryAfter)} seconds and try again.`
        : "Too many tries in a short time. Wait a moment and try again.";
    case "unavailable":
      return "The server cannot be reached right now. Try again in a moment.";
    default:
      return "Something went wrong on the server. Try again.";
  }
}

/** The plain advice for an error a person met: what happened and what to do. */
export function plainError(error: unknown): string {
  if (isCoded(error)) return codedAdvice(error);
  if (error instanceof TypeError) {
    return "The server cannot be reached. Check your connection and try again.";
  }
  return "Something went wrong. Try again.";
}
