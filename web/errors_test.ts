/// <reference lib="deno.ns" />
import { assertEquals } from "../tests/assert.ts";
import { ImError } from "../client/mod.ts";
import { loadConfig } from "../shared/config.ts";
import { fileProblem, IMAGE_TYPES, imageProblem, LIMITS, plainError, sizeText } from "./errors.ts";
import { fullDateTime } from "./format.ts";

const err = (code: string, message: string, retryAfter?: number) =>
  new ImError(code, message, 400, retryAfter);

Deno.test("LIMITS and IMAGE_TYPES are the server's defaults", () => {
  const { limits } = loadConfig({}).logic;
  assertEquals(LIMITS.imageBytes, limits.imageBytes);
  assertEquals(LIMITS.imageBytes, 5 * 1024 * 1024);
  assertEquals(LIMITS.textMax, limits.textMax);
  assertEquals(LIMITS.noteMax, limits.noteMax);
  assertEquals(LIMITS.nicknameMax, limits.nicknameMax);
  assertEquals(LIMITS.groupNameMax, limits.groupNameMax);
  assertEquals(IMAGE_TYPES, ["image/png", "image/jpeg", "image/gif", "image/webp"]);
});

Deno.test("plainError() turns size and type refusals into advice", () => {
  assertEquals(
    plainError(err("payload_too_large", "Body over 5242880 bytes")),
    "This image is larger than 5 MB. Choose a smaller one.",
  );
  assertEquals(
    plainError(err("payload_too_large", "Image over 65536 bytes")),
    "This image is larger than 64 KB. Choose a smaller one.",
  );
  assertEquals(
    plainError(
      err("unsupported_media_type", "Unsupported upload: expected PNG, JPEG, GIF or WebP"),
    ),
    "This file is not an image the chat can show. Choose a PNG, JPEG, GIF or WebP image.",
  );
  assertEquals(
    plainError(err("invalid_argument", "Image 9000×9000 is too large: at most 8192 pixels a side")),
    "This image has too many pixels. Choose a smaller picture.",
  );
});

Deno.test("plainError() says which text is too long or short, with the limit", () => {
  assertEquals(
    plainError(
      err("invalid_argument", "Invalid content.text: expected 1 to 4000 characters, got 4001"),
    ),
    "That message is too long: 4,000 characters at most.",
  );
  assertEquals(
    plainError(err("invalid_argument", "Invalid password: expected 8 to 128 characters, got 3")),
    "The password is too short: at least 8 characters.",
  );
  assertEquals(
    plainError(err("invalid_argument", "Invalid q: expected 2 to 64 characters, got 1")),
    "Type at least 2 characters to search.",
  );
  assertEquals(
    plainError(err("invalid_argument", "Invalid note: expected 0 to 256 characters, got 300")),
    "The note is too long: 256 characters at most.",
  );
  assertEquals(
    plainError(err("invalid_argument", "Invalid username: only letters, digits, '_', '.' and '-'")),
    "Usernames may use only letters, digits, '_', '.' and '-'.",
  );
});

Deno.test("plainError() reads socket error frames and rate limits", () => {
  assertEquals(
    plainError({ code: "forbidden", message: 'Cannot send to user "7": not a friend' }),
    "You can message only your friends. Add them as a friend first.",
  );
  assertEquals(
    plainError(err("rate_limited", "Too many uploads; try again later", 30)),
    "Too many tries in a short time. Wait 30 seconds and try again.",
  );
  assertEquals(
    plainError(err("conflict", 'Cannot register "ann": the username is taken, or looks like one')),
    "That username is taken (or looks too much like one that is). Choose another.",
  );
});

Deno.test("plainError() never shows a developer's message", () => {
  const messages = [
    err("internal", "TypeError: cannot read properties of undefined"),
    err("not_found", 'Cannot find group "123456789"'),
    err("invalid_argument", 'Invalid body: unknown field "x"'),
    new TypeError("Failed to fetch"),
    new Error("boom at line 3"),
    "a string",
  ].map(plainError);
  for (const text of messages) {
    assertEquals(/[{}"]|\d{4,}|undefined|Invalid|boom|fetch/.test(text), false, text);
  }
});

Deno.test("imageProblem() refuses a non-image and an over-size image before upload", () => {
  assertEquals(
    imageProblem({ name: "notes.txt", type: "text/plain", size: 10 }),
    '"notes.txt" is not an image the chat can show. Choose a PNG, JPEG, GIF or WebP image.',
  );
  assertEquals(
    imageProblem({ name: "big.png", type: "image/png", size: LIMITS.imageBytes + 1 }),
    "This image is larger than 5 MB. Choose a smaller one.",
  );
  assertEquals(imageProblem({ name: "ok.png", type: "image/png", size: LIMITS.imageBytes }), null);
  assertEquals(sizeText(1536 * 1024), "1.5 MB");
});

Deno.test("LIMITS of messages v2 are the server's defaults", () => {
  const { limits } = loadConfig({}).logic;
  assertEquals(LIMITS.fileBytes, limits.fileBytes);
  assertEquals(LIMITS.editWindowS, limits.editWindowS);
  assertEquals(LIMITS.recallWindowS, limits.recallWindowS);
  assertEquals(LIMITS.receiptGroupMax, limits.receiptGroupMax);
});

Deno.test("fileProblem() refuses files over 25 MB and empty ones before uploading", () => {
  assertEquals(fileProblem({ name: "a.zip", size: 25 * 1024 * 1024 }), null);
  assertEquals(
    fileProblem({ name: "big.zip", size: 25 * 1024 * 1024 + 1 }),
    '"big.zip" is larger than 25 MB. Choose a smaller file.',
  );
  assertEquals(fileProblem({ name: "e.txt", size: 0 }), '"e.txt" is empty. Choose another file.');
  assertEquals(sizeText(300), "300 bytes");
  assertEquals(sizeText(1536), "2 KB");
  assertEquals(sizeText(3 * 1024 * 1024 + 300_000), "3.3 MB");
});

Deno.test("plainError() explains refused edits, recalls, replies and mentions", () => {
  const cases: [string, string, string][] = [
    [
      "forbidden",
      'Cannot edit message "1": the edit window of 172800 s has passed',
      "This message can no longer be edited: messages can be edited for 48 hours.",
    ],
    ["forbidden", 'Cannot edit message "1": not yours', "You can edit only your own messages."],
    [
      "forbidden",
      'Cannot edit message "1": you can no longer write to this conversation',
      "You can no longer write to this conversation.",
    ],
    [
      "invalid_argument",
      'Cannot edit message "1": only a text can be edited, not an image',
      "Only text messages can be edited.",
    ],
    [
      "forbidden",
      'Cannot recall message "1": not allowed',
      "You cannot recall this message: your own only within 24 hours of sending, others' only as the group's owner or an admin.",
    ],
    [
      "conflict",
      'Cannot recall message "1": already recalled',
      "This message was already recalled.",
    ],
    [
      "invalid_argument",
      'Invalid content.replyTo: no message "9" in this conversation',
      "The message you answer is not in this chat any more. Send it without the reply.",
    ],
    [
      "invalid_argument",
      'Invalid content.mentions: "5" is not a member of group "7"',
      "Someone you mention is not in this group. Remove the mention and try again.",
    ],
    [
      "forbidden",
      'Cannot mention everyone in group "7": only its owner and admins may',
      "Only the group's owner and admins can mention everyone.",
    ],
    [
      "not_found",
      'Cannot send file "3": no such media',
      "That file is no longer available. Choose it again.",
    ],
    ["not_found", 'Cannot find message "1"', "That message no longer exists."],
  ];
  for (const [code, message, advice] of cases) assertEquals(plainError(err(code, message)), advice);
  assertEquals(
    plainError(err("payload_too_large", "File over 26214400 bytes")),
    "This file is larger than 25 MB. Choose a smaller one.",
  );
});

Deno.test("plainError() says a member is muted until when, and that a muted group is for admins", () => {
  const until = Date.UTC(2026, 11, 2, 14, 5);
  assertEquals(
    plainError({
      code: "forbidden",
      message: `Cannot send to group "7": muted in group "7" until ${
        new Date(until).toISOString()
      }`,
    }),
    `You are muted in this group until ${fullDateTime(until)}.`,
  );
  assertEquals(
    plainError({
      code: "forbidden",
      message: `Cannot send to group "7": only the owner and admins may send`,
    }),
    "Only the group's owner and admins can send in this group now.",
  );
});

Deno.test("plainError() says a disabled account is disabled, not that the form was wrong", () => {
  assertEquals(
    plainError({ code: "forbidden", message: "This account is disabled" }),
    "This account is disabled. Ask the people who run this server if you think it should not be.",
  );
});
