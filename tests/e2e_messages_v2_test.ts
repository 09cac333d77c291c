/**
 * End-to-end: Messages, version 2 (PROTOCOL.md, "Version 2 additions", Messages and the precise
 * rules): replies and their previews, mentions, files, edit and recall with their windows, update
 * entries and convergence, read receipts and typing. Runs unchanged against a cluster, so every
 * read of a change waits for it ("eventually"), never for a fixed time.
 */
import { isDeepStrictEqual } from "node:util";
import { assert, assertEquals } from "./assert.ts";
import { ImClient } from "../client/mod.ts";
import type { Content, Message, ServerFrame, Target } from "../shared/types.ts";
import { privateConversationId } from "../shared/types.ts";
import { everything } from "./_groups.ts";
import {
  befriend,
  collect,
  errorCode,
  eventually,
  friendPair,
  newUser,
  PNG_2x3,
  roundTrip,
  secondDevice,
  startServer,
  uniqueName,
  waitFor,
} from "./harness.ts";

/** Files of this suite's server stay small, so the size limit is cheap to reach. */
const FILE_BYTES = 256 * 1024;
const server = await startServer({ env: { IM_MAX_FILE_BYTES: String(FILE_BYTES) } });
globalThis.addEventListener("unload", () => void server.stop("SIGKILL"));
const url = server.url;
const opts = { sanitizeOps: false, sanitizeResources: false };

const text = (t: string, extra: Record<string, unknown> = {}) => ({
  type: "text" as const,
  text: t,
  ...extra,
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const user = (c: ImClient): Target => ({ type: "user", id: c.self!.id });
const conversationOf = (a: ImClient, b: ImClient) => privateConversationId(a.self!.id, b.self!.id);

/** Waits until history holds the message `id` and `check` accepts it; returns it. */
function stored(
  client: ImClient,
  conversationId: string,
  id: string,
  check: (m: Message) => boolean = () => true,
): Promise<Message> {
  return eventually(async () => {
    const found = (await everything(client, conversationId)).find((m) => m.id === id);
    return found && check(found) ? found : null;
  });
}

/** A conversation's summary once `check` accepts it. */
function summary(
  client: ImClient,
  conversationId: string,
  check: (s: Awaited<ReturnType<ImClient["conversations"]>>[number]) => boolean,
) {
  return eventually(async () => {
    const found = (await client.conversations()).find((s) => s.id === conversationId);
    return found && check(found) ? found : null;
  });
}

/** What a reader should see of a conversation: its real messages, edits and recalls applied. */
function applied(messages: readonly Message[]) {
  return messages.filter((m) => m.content.type !== "update").map((m) => ({
    id: m.id,
    seq: m.seq,
    from: m.from,
    content: m.content,
    editedAt: m.editedAt,
    replyTo: m.replyTo,
  }));
}

/** The entries pushed live to a client (frames, before the SDK's gap repair or dedupe). */
function pushed(client: ImClient): Message[] {
  const list: Message[] = [];
  client.on("frame", (frame: ServerFrame) => {
    if (frame.op === "message") list.push(frame.message);
  });
  return list;
}

/** A group owned by `owner` with `members` in it (an open group they join). */
async function groupWith(owner: ImClient, members: ImClient[]) {
  const group = await owner.createGroup(uniqueName("v2"));
  for (const member of members) await member.joinGroup(group.id);
  return { group, to: { type: "group" as const, id: group.id }, conversationId: `g:${group.id}` };
}

/** The status of a GET of a media URL (its body discarded). */
async function served(path: string): Promise<Response> {
  const response = await fetch(`${url}${path}`);
  await response.body?.cancel();
  return response;
}

/** A raw file upload, for the names the SDK would refuse or encode. */
function rawUpload(client: ImClient, bytes: Uint8Array, headers: Record<string, string>) {
  return client.request("POST", "/api/media?kind=file", bytes, headers);
}

// ---------------------------------------------------------------------------------------------
// Replies

Deno.test(
  "replies: the preview is the quoted message's first 100 code points, and follows its edit and recall",
  opts,
  async () => {
    const [a, b] = await friendPair(url);
    try {
      // 150 astral code points: a preview cut at 100 UTF-16 units would split a pair.
      const long = "😀".repeat(60) + "x".repeat(90);
      const quoted = await a.send(user(b), text(long));
      const got = collect(a, "message");
      const reply = await b.send(user(a), text("an answer", { replyTo: quoted.id }));
      const live = await eventually(() => got.find((m) => m.id === reply.id));
      const quotedSeq = (await stored(a, quoted.conversationId, quoted.id)).seq;
      assertEquals(live.replyTo, {
        id: quoted.id,
        seq: quotedSeq,
        from: a.self!.id,
        preview: [...long].slice(0, 100).join(""),
      });
      assertEquals(live.content, text("an answer"));
      assertEquals((await stored(b, reply.conversationId, reply.id)).replyTo, live.replyTo);

      await a.editMessage(quoted.id, "the edited words");
      await stored(
        b,
        reply.conversationId,
        reply.id,
        (m) => m.replyTo?.preview === "the edited words",
      );
      await a.recallMessage(quoted.id);
      const after = await stored(
        b,
        reply.conversationId,
        reply.id,
        (m) => m.replyTo?.preview === "[recalled]",
      );
      assertEquals([after.replyTo?.id, after.replyTo?.seq], [quoted.id, quotedSeq]);

      // Replies to images and files preview their kind.
      const image = await a.uploadMedia(PNG_2x3, "image/png");
      const sentImage = await a.send(user(b), { type: "image", mediaId: image.id });
      const file = await a.uploadFile(new TextEncoder().encode("notes"), "notes.txt");
      const sentFile = await a.send(user(b), {
        type: "file",
        mediaId: file.id,
        name: "notes.txt",
      });
      const toImage = await b.send(user(a), text("nice", { replyTo: sentImage.id }));
      const toFile = await b.send(user(a), {
        type: "image",
        mediaId: image.id,
        replyTo: sentFile.id,
      });
      assertEquals(
        (await stored(a, toImage.conversationId, toImage.id)).replyTo?.preview,
        "[image]",
      );
      assertEquals((await stored(a, toFile.conversationId, toFile.id)).replyTo?.preview, "[file]");
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  },
);

Deno.test(
  "replies: to a message of another conversation, or to none, are invalid_argument (WS and HTTP)",
  opts,
  async () => {
    const [a, b] = await friendPair(url);
    const c = await newUser(url);
    try {
      await befriend(a, c);
      const elsewhere = await a.send(user(c), text("for c only"));
      const { to: groupTo } = await groupWith(a, [b]);
      const inGroup = await a.send(groupTo, text("in the group"));
      for (const replyTo of [elsewhere.id, inGroup.id, "424242424242", "", 5]) {
        assertEquals(
          await errorCode(a.send(user(b), text("reply", { replyTo }))),
          "invalid_argument",
          `replyTo ${replyTo}`,
        );
      }
      assertEquals(
        await errorCode(
          a.postMessage(user(b), text("reply", { replyTo: elsewhere.id }), crypto.randomUUID()),
        ),
        "invalid_argument",
      );
      // The group's message quoted in the private chat's stead leaks nothing either way.
      assertEquals(
        await errorCode(b.send(groupTo, text("reply", { replyTo: elsewhere.id }))),
        "invalid_argument",
      );
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  },
);

// ---------------------------------------------------------------------------------------------
// Mentions

Deno.test(
  "mentions: `mentioned` in the summary until read; mentionAll by the owner only; bad mentions refused",
  opts,
  async () => {
    const owner = await newUser(url);
    const m1 = await newUser(url);
    const m2 = await newUser(url);
    const outsider = await newUser(url, { connect: false });
    try {
      const { to, conversationId } = await groupWith(owner, [m1, m2]);
      const direct = await m1.send(to, text("look here @m2", { mentions: [m2.self!.id] }));
      const mentioned = await summary(m2, conversationId, (s) => s.mentioned === true);
      assertEquals(mentioned.unread, 1);
      const listsIt = (s: { lastMessage: Message | null }) => s.lastMessage?.id === direct.id;
      assert(!(await summary(owner, conversationId, listsIt)).mentioned, "not the owner's");
      assert(!(await summary(m1, conversationId, listsIt)).mentioned, "not the sender's");
      const message = await stored(m2, conversationId, direct.id);
      assertEquals(message.content, text("look here @m2", { mentions: [m2.self!.id] }));
      // A later message without a mention keeps it; reading past the mention clears it.
      const plain = await owner.send(to, text("no mention"));
      await stored(m2, conversationId, plain.id);
      assert((await summary(m2, conversationId, (s) => s.unread === 2)).mentioned);
      m2.read(conversationId, message.seq);
      await summary(m2, conversationId, (s) => !s.mentioned && s.unread === 1);
      // A recalled mention no longer marks the conversation.
      const recalled = await owner.send(to, text("psst @m2", { mentions: [m2.self!.id] }));
      await summary(m2, conversationId, (s) => s.mentioned === true);
      await owner.recallMessage(recalled.id);
      await summary(m2, conversationId, (s) => s.mentioned === false || s.mentioned === undefined);

      // mentionAll: forbidden to a plain member, the owner's to use; it marks every member.
      assertEquals(await errorCode(m1.send(to, text("all!", { mentionAll: true }))), "forbidden");
      const all = await owner.send(to, text("everyone, look", { mentionAll: true }));
      await summary(m1, conversationId, (s) => s.mentioned === true);
      await summary(m2, conversationId, (s) => s.mentioned === true);
      // An edit keeps the original mentions.
      const edited = await owner.editMessage(all.id, "everyone, look again");
      assertEquals(edited.content, text("everyone, look again", { mentionAll: true }));
      assert(edited.editedAt! > 0);
      assertEquals(
        (await stored(m1, conversationId, all.id, (m) => m.editedAt !== undefined)).content,
        text("everyone, look again", { mentionAll: true }),
      );

      // Non-members, a private chat, and anything not a list of ids are invalid_argument.
      const outsiderId = (await outsider.me()).id;
      for (const mentions of [[outsiderId], ["424242424242"], "nope", [5], [m2.self!.id, 7]]) {
        assertEquals(
          await errorCode(m1.send(to, text("hey", { mentions }))),
          "invalid_argument",
          `mentions ${JSON.stringify(mentions)}`,
        );
      }
      await befriend(m1, m2);
      assertEquals(
        await errorCode(m1.send(user(m2), text("hey", { mentions: [m2.self!.id] }))),
        "invalid_argument",
      );
      assertEquals(
        await errorCode(
          m1.postMessage(user(m2), text("hey", { mentions: [m2.self!.id] }), crypto.randomUUID()),
        ),
        "invalid_argument",
      );
    } finally {
      await Promise.all([owner.close(), m1.close(), m2.close()]);
    }
  },
);

Deno.test("mentions: at most 50 members in one message", opts, async () => {
  const owner = await newUser(url);
  try {
    const { to, conversationId } = await groupWith(owner, []);
    const members = await Promise.all(
      Array.from({ length: 51 }, () => newUser(url, { connect: false })),
    );
    await Promise.all(members.map((m) => m.joinGroup(to.id)));
    const ids = await Promise.all(members.map(async (m) => (await m.me()).id));
    assertEquals(
      await errorCode(owner.send(to, text("too many", { mentions: ids }))),
      "invalid_argument",
    );
    const fifty = await owner.send(to, text("just right", { mentions: ids.slice(0, 50) }));
    await summary(members[49], conversationId, (s) => s.mentioned === true);
    const last = await summary(members[50], conversationId, (s) => s.lastMessage?.id === fifty.id);
    assert(!last.mentioned, "the 51st member was not mentioned");
  } finally {
    await owner.close();
  }
});

// ---------------------------------------------------------------------------------------------
// Files

Deno.test(
  "files: any bytes with a name, sent as a message with url, size and contentType, served as an attachment",
  opts,
  async () => {
    const [a, b] = await friendPair(url);
    try {
      const html = new TextEncoder().encode("<html><script>alert(document.cookie)</script></html>");
      const name = "Rapport ünïcödé 报告 (final).html";
      const file = await a.uploadFile(html, name);
      assertEquals(
        [file.name, file.size, file.contentType],
        [name, html.length, "application/octet-stream"],
      );
      assert(file.id.length >= 22 && file.url.length > 0);
      const got = collect(b, "message");
      const sent = await a.send(user(b), { type: "file", mediaId: file.id, name });
      const message = await eventually(() => got.find((m) => m.id === sent.id));
      // The message has media of its own: a copy of the upload, which its recall deletes.
      const own = message.content.type === "file" ? message.content.mediaId : "";
      assert(own !== file.id && own.length === file.id.length, `media of its own, not ${own}`);
      assertEquals(message.content, {
        type: "file",
        mediaId: own,
        name,
        url: `/api/media/${own}`,
        size: html.length,
        contentType: "application/octet-stream",
      });
      assertEquals((await stored(a, sent.conversationId, sent.id)).content, message.content);
      const response = await fetch(`${url}/api/media/${own}`);
      assertEquals(new Uint8Array(await response.arrayBuffer()), html);
      assertEquals(response.headers.get("content-type"), "application/octet-stream");
      assert(
        /^attachment\b/i.test(response.headers.get("content-disposition") ?? ""),
        `served as ${response.headers.get("content-disposition")}`,
      );
      assertEquals(response.headers.get("x-content-type-options"), "nosniff");

      // An SVG with script is not an image type here: served as bytes to download.
      const svg = await a.uploadFile(
        new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        "drawing.svg",
      );
      assertEquals(svg.contentType, "application/octet-stream");
      assertEquals((await served(svg.url)).headers.get("content-type"), "application/octet-stream");
      // An image sent as a file keeps its image type (the type it is served as).
      const png = await a.uploadFile(PNG_2x3, "pixel.png");
      assertEquals(png.contentType, "image/png");
      const pngServed = await served(png.url);
      assertEquals(pngServed.headers.get("content-type"), "image/png");
      assert(/^attachment\b/i.test(pngServed.headers.get("content-disposition") ?? ""));

      // Up to IM_MAX_FILE_BYTES, and no further.
      assertEquals((await a.uploadFile(new Uint8Array(FILE_BYTES), "full.bin")).size, FILE_BYTES);
      assertEquals(
        await errorCode(a.uploadFile(new Uint8Array(FILE_BYTES + 1), "over.bin")),
        "payload_too_large",
      );
      // A name in the content that is not a file name.
      assertEquals(
        await errorCode(a.send(user(b), { type: "file", mediaId: file.id, name: "../x" })),
        "invalid_argument",
      );
      assertEquals(
        await errorCode(a.send(user(b), { type: "file", mediaId: file.id } as never)),
        "invalid_argument",
      );
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  },
);

Deno.test(
  "files: X-File-Name with a path, controls, bidi marks, 10,000 characters or none is invalid_argument",
  opts,
  async () => {
    const a = await newUser(url, { connect: false });
    const bytes = new TextEncoder().encode("data");
    const bad = [
      "../x",
      "a/b",
      "a\\b",
      "%2E%2E%2Fx",
      "evil%00.txt",
      "tab%09name",
      "new%0Aline",
      encodeURIComponent("gpj.\u202eexe"),
      encodeURIComponent("zero\u200bwidth"),
      "x".repeat(10_000),
      encodeURIComponent("é".repeat(256)),
      "%E0%A4%A", // broken percent-encoding
      "%C3%28", // invalid UTF-8
      "",
      "%20%20",
    ];
    for (const value of bad) {
      assertEquals(
        await errorCode(rawUpload(a, bytes, { "x-file-name": value })),
        "invalid_argument",
        `X-File-Name ${value.slice(0, 40)}`,
      );
    }
    assertEquals(await errorCode(rawUpload(a, bytes, {})), "invalid_argument", "no name");
    // 255 code points is the longest name; emoji sequences with zero-width joiners are names too.
    const longest = "é".repeat(255);
    assertEquals(
      (await rawUpload(a, bytes, { "x-file-name": encodeURIComponent(longest) }) as {
        name: string;
      })
        .name,
      longest,
    );
    const family = "👨‍👩‍👧 photos.zip";
    assertEquals((await a.uploadFile(bytes, family)).name, family);
  },
);

// ---------------------------------------------------------------------------------------------
// Edit

Deno.test(
  "edit: by the sender, text only; history shows the latest text and editedAt",
  opts,
  async () => {
    const [a, b] = await friendPair(url);
    const stranger = await newUser(url, { connect: false });
    try {
      const sent = await a.send(user(b), text("first words"));
      const edited = await a.editMessage(sent.id, "second words");
      assertEquals([edited.id, edited.content], [sent.id, text("second words")]);
      assert(typeof edited.editedAt === "number" && edited.editedAt >= edited.sentAt);
      // The answer on the wire: 200 {"message"}.
      const raw = await a.request<{ message: Message }>("PATCH", `/api/messages/${sent.id}`, {
        content: { type: "text", text: "second words" },
      });
      assertEquals([raw.message.id, raw.message.content], [sent.id, text("second words")]);
      const again = await a.editMessage(sent.id, "third words");
      assert(again.editedAt! >= edited.editedAt!);
      const inHistory = await stored(
        b,
        sent.conversationId,
        sent.id,
        (m) => m.content.type === "text" && m.content.text === "third words",
      );
      assertEquals([inHistory.seq, inHistory.editedAt], [edited.seq, again.editedAt]);

      assertEquals(await errorCode(b.editMessage(sent.id, "not mine")), "forbidden");
      // Outside the stranger's conversations the message does not exist for them.
      assertEquals(await errorCode(stranger.editMessage(sent.id, "not mine")), "not_found");
      assertEquals(await errorCode(a.editMessage("424242424242", "none")), "not_found");
      assertEquals(await errorCode(a.editMessage(sent.id, "")), "invalid_argument");
      assertEquals(await errorCode(a.editMessage(sent.id, "x".repeat(4001))), "invalid_argument");
      assertEquals(await errorCode(a.editMessage(sent.id, "nul\0inside")), "invalid_argument");
      // The edit body is `{"content":{"type":"text","text"}}` and nothing else.
      for (
        const body of [
          {},
          { content: { type: "image", mediaId: "x" } },
          { content: { type: "text", text: 5 } },
          { text: "bare" },
          "text",
        ]
      ) {
        assertEquals(
          await errorCode(a.request("PATCH", `/api/messages/${sent.id}`, body)),
          "invalid_argument",
          `edit body ${JSON.stringify(body)}`,
        );
      }
      // Only texts: an image or file is invalid_argument, a recalled message too.
      const media = await a.uploadMedia(PNG_2x3, "image/png");
      const image = await a.send(user(b), { type: "image", mediaId: media.id });
      assertEquals(await errorCode(a.editMessage(image.id, "caption")), "invalid_argument");
      const file = await a.uploadFile(new TextEncoder().encode("f"), "f.txt");
      const fileMessage = await a.send(user(b), { type: "file", mediaId: file.id, name: "f.txt" });
      assertEquals(await errorCode(a.editMessage(fileMessage.id, "caption")), "invalid_argument");
      const doomed = await a.send(user(b), text("soon gone"));
      await a.recallMessage(doomed.id);
      assertEquals(await errorCode(a.editMessage(doomed.id, "back again")), "invalid_argument");
      // An update entry is not a text to edit.
      const entry = await eventually(async () =>
        (await everything(a, sent.conversationId)).find((m) => m.content.type === "update")
      );
      assertEquals(await errorCode(a.editMessage(entry.id, "entry")), "invalid_argument");
      // The last text stands.
      assertEquals(
        (await stored(a, sent.conversationId, sent.id)).content,
        text("third words"),
      );
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  },
);

// ---------------------------------------------------------------------------------------------
// Recall

Deno.test(
  "recall: the content becomes recalled with recalledBy, keeps id and seq; twice is conflict; the peer forbidden",
  opts,
  async () => {
    const [a, b] = await friendPair(url);
    const stranger = await newUser(url, { connect: false });
    try {
      const sent = await a.send(user(b), text("take this back"));
      const before = await stored(b, sent.conversationId, sent.id);
      assertEquals(await errorCode(b.recallMessage(sent.id)), "forbidden");
      assertEquals(await errorCode(stranger.recallMessage(sent.id)), "not_found");
      await a.recallMessage(sent.id);
      const after = await stored(
        b,
        sent.conversationId,
        sent.id,
        (m) => m.content.type === "recalled",
      );
      assertEquals([after.id, after.seq, after.from, after.sentAt], [
        before.id,
        before.seq,
        before.from,
        before.sentAt,
      ]);
      assertEquals(after.content, { type: "recalled", recalledBy: a.self!.id });
      assert(!JSON.stringify(await everything(b, sent.conversationId)).includes("take this back"));
      assertEquals(await errorCode(a.recallMessage(sent.id)), "conflict");
      // Permission is checked first: the peer gets forbidden, not conflict.
      assertEquals(await errorCode(b.recallMessage(sent.id)), "forbidden");
      assertEquals(await errorCode(a.recallMessage("424242424242")), "not_found");
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  },
);

Deno.test(
  "recall in a group: the owner recalls a member's message; a member cannot recall another's",
  opts,
  async () => {
    const owner = await newUser(url);
    const m1 = await newUser(url);
    const m2 = await newUser(url);
    try {
      const { to, conversationId } = await groupWith(owner, [m1, m2]);
      const byM1 = await m1.send(to, text("m1 says"));
      const byOwner = await owner.send(to, text("the owner says"));
      assertEquals(await errorCode(m2.recallMessage(byM1.id)), "forbidden");
      assertEquals(await errorCode(m1.recallMessage(byOwner.id)), "forbidden");
      await owner.recallMessage(byM1.id);
      assertEquals(
        (await stored(m2, conversationId, byM1.id, (m) => m.content.type === "recalled")).content,
        { type: "recalled", recalledBy: owner.self!.id },
      );
      await m1.editMessage(byM1.id, "edit").then(
        () => assert(false, "an edit of a recalled message was accepted"),
        (error) => assertEquals(error.code, "invalid_argument"),
      );
      await owner.recallMessage(byOwner.id);
      await stored(m1, conversationId, byOwner.id, (m) => m.content.type === "recalled");
    } finally {
      await Promise.all([owner.close(), m1.close(), m2.close()]);
    }
  },
);

Deno.test(
  "recall: a recalled image or file is no longer served; the upload and other messages' copies are",
  opts,
  async () => {
    const [a, b] = await friendPair(url);
    try {
      const image = await a.uploadMedia(PNG_2x3, "image/png");
      const file = await a.uploadFile(new TextEncoder().encode("secret plans"), "plans.txt");
      const sentImage = await a.send(user(b), { type: "image", mediaId: image.id });
      const sentFile = await a.send(user(b), { type: "file", mediaId: file.id, name: "plans.txt" });
      const urlOf = async (id: string) => {
        const { content } = await stored(b, sentImage.conversationId, id);
        return content.type === "image" || content.type === "file" ? content.url : "";
      };
      const [imageUrl, fileUrl] = [await urlOf(sentImage.id), await urlOf(sentFile.id)];
      // b forwards the image: a copy of a's message's media, which only a recall of b's message deletes.
      const imageId = imageUrl.slice("/api/media/".length);
      const forward = await b.send(user(a), { type: "image", mediaId: imageId });
      const forwardUrl = await urlOf(forward.id);
      for (const path of [imageUrl, fileUrl, forwardUrl]) {
        assertEquals(
          (await served(path)).status,
          200,
        );
      }
      await a.recallMessage(sentImage.id);
      assertEquals(await errorCode(b.recallMessage(sentFile.id)), "forbidden");
      await a.recallMessage(sentFile.id);
      await eventually(async () => (await served(imageUrl)).status === 404);
      await eventually(async () => (await served(fileUrl)).status === 404);
      const history = await everything(b, sentImage.conversationId);
      assert(!JSON.stringify(history).includes(imageUrl), "the recalled image's url is gone");
      assert(!JSON.stringify(history).includes(fileUrl), "the recalled file's url is gone");
      assertEquals((await served(forwardUrl)).status, 200, "the forward is b's message");
      assertEquals((await served(image.url)).status, 200, "a's upload stays a's");
      await b.recallMessage(forward.id);
      await eventually(async () => (await served(forwardUrl)).status === 404);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  },
);

// ---------------------------------------------------------------------------------------------
// Windows: a server of its own, with one-second windows.

Deno.test(
  "windows: past IM_EDIT_WINDOW_S and IM_RECALL_WINDOW_S the sender gets forbidden; the group owner still recalls",
  opts,
  async () => {
    const windowed = await startServer({
      env: { IM_EDIT_WINDOW_S: "1", IM_RECALL_WINDOW_S: "1" },
    });
    const owner = await newUser(windowed.url);
    const member = await newUser(windowed.url);
    try {
      const group = await owner.createGroup(uniqueName("win"));
      await member.joinGroup(group.id);
      const to = { type: "group" as const, id: group.id };
      const sent = await member.send(to, text("quick"));
      // Stored, then well past both windows.
      await stored(owner, `g:${group.id}`, sent.id);
      await sleep(2500);
      assertEquals(await errorCode(member.editMessage(sent.id, "too late")), "forbidden");
      assertEquals(await errorCode(member.recallMessage(sent.id)), "forbidden");
      await owner.recallMessage(sent.id);
      await stored(member, `g:${group.id}`, sent.id, (m) => m.content.type === "recalled");
    } finally {
      await Promise.all([owner.close(), member.close()]);
      await windowed.stop();
    }
  },
);

Deno.test(
  "receipts: a group over IM_RECEIPT_GROUP_MAX pushes no reads to members, but to the reader's own other connections",
  opts,
  async () => {
    const small = await startServer({ env: { IM_RECEIPT_GROUP_MAX: "2" } });
    const owner = await newUser(small.url);
    const reader = await newUser(small.url);
    const third = await newUser(small.url);
    const readerPhone = await secondDevice(small.url, reader);
    try {
      const group = await owner.createGroup(uniqueName("big"));
      await reader.joinGroup(group.id);
      await third.joinGroup(group.id);
      const conversationId = `g:${group.id}`;
      const sent = await owner.send({ type: "group", id: group.id }, text("read me"));
      const seq = (await stored(reader, conversationId, sent.id)).seq;
      const ownerReads = collect(owner, "read");
      const phone = waitFor(readerPhone, "read", (r) => r.conversationId === conversationId);
      reader.read(conversationId, seq);
      assertEquals(await phone, { conversationId, userId: reader.self!.id, seq });
      // Any size: the reads route answers.
      await eventually(async () =>
        (await owner.reads(conversationId)).some((r) =>
          r.userId === reader.self!.id && r.seq === seq
        )
      );
      // A message the owner receives after the read: a receipt would have come before it.
      const later = await third.send({ type: "group", id: group.id }, text("later"));
      await eventually(async () =>
        (await owner.history(conversationId)).some((m) => m.id === later.id)
      );
      await roundTrip(owner);
      assertEquals(ownerReads, [], "no read events in a group over the limit");
    } finally {
      await Promise.all([owner.close(), reader.close(), third.close(), readerPhone.close()]);
      await small.stop();
    }
  },
);

// ---------------------------------------------------------------------------------------------
// Update entries

Deno.test(
  "update entries: the next seq, pushed live, in history; never unread, never lastMessage",
  opts,
  async () => {
    const [a, b] = await friendPair(url);
    const a2 = await secondDevice(url, a);
    try {
      const frames = { b: pushed(b), a2: pushed(a2) };
      const conversationId = conversationOf(a, b);
      const m1 = await a.send(user(b), text("one"));
      const m2 = await a.send(user(b), text("two"));
      const s2 = (await stored(b, conversationId, m2.id)).seq;
      // b has read everything; an edit must not make it unread again.
      b.read(conversationId, s2);
      await summary(b, conversationId, (s) => s.readSeq === s2 && s.unread === 0);
      await a.editMessage(m1.id, "one, edited");
      const entry = await eventually(() =>
        frames.b.find((m) => m.content.type === "update" && m.content.action === "edit")
      );
      assertEquals(entry.seq, s2 + 1);
      assertEquals([entry.from, entry.clientMsgId, entry.to], [a.self!.id, null, user(b)]);
      const target = (entry.content as Extract<Content, { type: "update" }>).target as Message;
      assertEquals([target.id, target.content], [m1.id, text("one, edited")]);
      assert(typeof target.editedAt === "number");
      await eventually(() => frames.a2.some((m) => m.id === entry.id));
      const inHistory = await stored(a, conversationId, entry.id);
      assertEquals(inHistory.content, entry.content);
      let s = await summary(b, conversationId, (s) => s.lastSeq >= entry.seq);
      assertEquals([s.unread, s.lastMessage?.id], [0, m2.id], "an update is never unread nor last");

      // Recalling the last real message: an update entry too; the summary shows it recalled.
      await a.recallMessage(m2.id);
      const recall = await eventually(() =>
        frames.b.find((m) => m.content.type === "update" && m.content.action === "recall")
      );
      assertEquals(recall.seq, entry.seq + 1);
      assertEquals(
        ((recall.content as Extract<Content, { type: "update" }>).target as Message).content,
        { type: "recalled", recalledBy: a.self!.id },
      );
      s = await summary(b, conversationId, (s) => s.lastMessage?.content.type === "recalled");
      assertEquals([s.unread, s.lastMessage?.id, s.lastSeq], [0, m2.id, recall.seq]);
      // For the sender, whose last real message is the same.
      s = await summary(a, conversationId, (s) => s.lastSeq === recall.seq);
      assertEquals([s.unread, s.lastMessage?.id], [0, m2.id]);
      // An edit of an older message shows the current version once it is the last real one.
      const m3 = await b.send(user(a), text("three"));
      await a.editMessage(m1.id, "one, again");
      s = await summary(a, conversationId, (s) => s.lastMessage?.id === m3.id && s.unread === 1);
      assertEquals(s.lastMessage?.content, text("three"));
    } finally {
      await Promise.all([a.close(), b.close(), a2.close()]);
    }
  },
);

Deno.test(
  "update entries are redelivered until acked, like any message",
  opts,
  async () => {
    const a = await newUser(url);
    const lazy = await newUser(url, { autoAck: false });
    try {
      await befriend(a, lazy);
      const frames = pushed(lazy);
      const sent = await a.send(user(lazy), text("to be edited"));
      const first = await eventually(() => frames.find((m) => m.id === sent.id));
      lazy.ack(sent.conversationId, first.seq);
      await a.editMessage(sent.id, "edited");
      const copies = () => frames.filter((m) => m.content.type === "update");
      // IM_REDELIVER_MS is 600 in the suites: an unacked entry comes again.
      await eventually(() => copies().length >= 2, 8000);
      assertEquals(new Set(copies().map((m) => m.id)).size, 1, "the same entry, again");
      lazy.ack(sent.conversationId, copies()[0].seq);
      await roundTrip(lazy);
      const settled = copies().length;
      // A later message, left unacked, is redelivered; the acked entry is not.
      const later = await a.send(user(lazy), text("leave me unacked"));
      await eventually(() => frames.filter((m) => m.id === later.id).length >= 2, 8000);
      assertEquals(copies().length, settled, "no redelivery of an acked update entry");
    } finally {
      await Promise.all([a.close(), lazy.close()]);
    }
  },
);

Deno.test(
  "races: concurrent recalls make one entry (the other conflict or the same entry); concurrent edits leave the text of the last entry",
  opts,
  async () => {
    const owner = await newUser(url);
    const member = await newUser(url);
    try {
      const { to, conversationId } = await groupWith(owner, [member]);
      // The sender and the owner recall the same message at once.
      const both = await member.send(to, text("recalled twice at once"));
      await stored(owner, conversationId, both.id);
      const outcomes = await Promise.allSettled([
        member.recallMessage(both.id),
        owner.recallMessage(both.id),
      ]);
      const codes = outcomes.map((o) => o.status === "fulfilled" ? "ok" : o.reason.code).sort();
      // The second finds the first appended (conflict) or appends that same entry again (ok).
      assert(
        codes[codes.length - 1] === "ok" && codes.every((c) => c === "ok" || c === "conflict"),
      );
      // Ten edits at once: every one answered, one entry each, the text of the last one stands.
      const edited = await member.send(to, text("edited ten times at once"));
      await stored(owner, conversationId, edited.id);
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => member.editMessage(edited.id, `version ${i}`)),
      );
      assertEquals(answers.length, 10);
      // An edit racing a recall: whatever the order, the message ends recalled.
      const raced = await member.send(to, text("edited while recalled"));
      await stored(owner, conversationId, raced.id);
      await Promise.allSettled([
        member.editMessage(raced.id, "the edit"),
        owner.recallMessage(raced.id),
      ]);
      const entries = await eventually(async () => {
        const all = await everything(owner, conversationId);
        const updates = all.filter((m) => m.content.type === "update");
        return updates.filter((
                m,
              ) => ((m.content as Extract<Content, { type: "update" }>).target.id === edited.id)
              ).length === 10 &&
            all.find((m) => m.id === raced.id)?.content.type === "recalled"
          ? all
          : null;
      });
      const on = (id: string) =>
        entries.filter((m) =>
          m.content.type === "update" && m.content.target.id === id
        ) as (Message & { content: Extract<Content, { type: "update" }> })[];
      assertEquals(on(both.id).map((m) => m.content.action), ["recall"]);
      assertEquals(
        entries.find((m) => m.id === both.id)?.content.type,
        "recalled",
      );
      const last = on(edited.id).at(-1)!.content.target as Message;
      const stands = entries.find((m) => m.id === edited.id)!;
      assertEquals(stands.content, last.content, "the stored text is the last entry's");
      // Every entry shows the current version, never an older text.
      for (const entry of on(edited.id)) {
        assertEquals((entry.content.target as Message).content, stands.content);
      }
      for (const entry of on(raced.id)) {
        assertEquals(
          (entry.content.target as Message).content.type,
          "recalled",
          `the ${entry.content.action} entry of a recalled message shows no text`,
        );
      }
      assertEquals(on(raced.id).filter((m) => m.content.action === "recall").length, 1);
    } finally {
      await Promise.all([owner.close(), member.close()]);
    }
  },
);

Deno.test(
  "since_join: a member sees an edit of an earlier message as {id, seq} only, and a reply to it without preview",
  opts,
  async () => {
    const owner = await newUser(url);
    const late = await newUser(url);
    try {
      const { group, to, conversationId } = await groupWith(owner, []);
      const early = await owner.send(to, text("before you came"));
      const earlySeq = (await stored(owner, conversationId, early.id)).seq;
      await late.joinGroup(group.id);
      const frames = pushed(late);
      await owner.editMessage(early.id, "still before you came");
      const entry = await eventually(() => frames.find((m) => m.content.type === "update"));
      assertEquals(entry.content, {
        type: "update",
        action: "edit",
        target: { id: early.id, seq: earlySeq },
      });
      const reply = await owner.send(to, text("about that", { replyTo: early.id }));
      const seen = await stored(late, conversationId, reply.id);
      assertEquals(seen.replyTo, {
        id: early.id,
        seq: earlySeq,
        from: owner.self!.id,
        preview: null,
      });
      assertEquals((await stored(late, conversationId, entry.id)).content, entry.content);
      const history = JSON.stringify(await everything(late, conversationId));
      assert(!history.includes("before you came"), "no text from before the join");
      // Nor may the late member quote it.
      assertEquals(
        await errorCode(late.send(to, text("what?", { replyTo: early.id }))),
        "invalid_argument",
      );
    } finally {
      await Promise.all([owner.close(), late.close()]);
    }
  },
);

Deno.test(
  "convergence: a client that was offline during edits and recalls ends with the same applied view as one online, and as history",
  opts,
  async () => {
    const [a, b] = await friendPair(url);
    const conversationId = conversationOf(a, b);
    const online = await secondDevice(url, b);
    // A second device of b that drops its connection and comes back later (gap repair).
    const away = new ImClient({
      baseUrl: url,
      token: b.token,
      backoffMs: 1500,
      maxBackoffMs: 1500,
    });
    try {
      await away.connect();
      const sent = [];
      for (let i = 0; i < 6; i++) sent.push(await a.send(user(b), text(`message ${i}`)));
      const quoting = await b.send(user(a), text("quoting 2", { replyTo: sent[2].id }));
      const own = await b.send(user(a), text("b takes this back"));
      await eventually(() => away.view(conversationId).messages.some((m) => m.id === own.id));
      const dropped = waitFor(away, "closed");
      away.drop();
      await dropped;
      await a.editMessage(sent[0].id, "message 0, edited");
      await a.recallMessage(sent[1].id);
      await a.editMessage(sent[2].id, "message 2, edited");
      await a.editMessage(sent[2].id, "message 2, edited twice");
      await a.recallMessage(sent[3].id);
      const after = await a.send(user(b), text("after the changes"));
      await b.recallMessage(own.id);

      const expected = async () => applied(await everything(a, conversationId));
      const final = await eventually(async () => {
        const want = await expected();
        return want.some((m) => m.id === after.id) &&
            want.find((m) => m.id === own.id)?.content.type === "recalled"
          ? want
          : null;
      });
      for (const [name, client] of [["online", online], ["away", away]] as const) {
        const view = await eventually(() => {
          const v = client.view(conversationId);
          const got = applied(v.messages);
          return isDeepStrictEqual(got, final) ? got : null;
        }, 10_000).catch(() => applied(client.view(conversationId).messages));
        assertEquals(view, final, `the ${name} client's applied view`);
      }
      // The view holds the texts as history does: no recalled text anywhere.
      assert(!JSON.stringify(away.view(conversationId).messages).includes("message 1"));
      // The reply's preview follows the quoted message's two edits, in the view as in history.
      assertEquals(
        away.view(conversationId).messages.find((m) => m.id === quoting.id)?.replyTo?.preview,
        "message 2, edited twice",
      );
    } finally {
      await Promise.all([a.close(), b.close(), online.close(), away.close()]);
    }
  },
);

// ---------------------------------------------------------------------------------------------
// Read receipts

Deno.test(
  "receipts: the peer and the reader's other connections get `read`; GET …/reads for participants",
  opts,
  async () => {
    const [a, b] = await friendPair(url);
    const b2 = await secondDevice(url, b);
    const stranger = await newUser(url, { connect: false });
    try {
      const conversationId = conversationOf(a, b);
      let last;
      for (let i = 0; i < 3; i++) last = await a.send(user(b), text(`r${i}`));
      const seq = (await stored(b, conversationId, last!.id)).seq;
      const peer = waitFor(a, "read", (r) => r.conversationId === conversationId && r.seq === seq);
      const other = waitFor(
        b2,
        "read",
        (r) => r.conversationId === conversationId && r.seq === seq,
      );
      b.read(conversationId, seq);
      const mark = { conversationId, userId: b.self!.id, seq };
      assertEquals(await Promise.all([peer, other]), [mark, mark]);
      const reads = await eventually(async () => {
        const marks = await a.reads(conversationId);
        return marks.some((r) => r.userId === b.self!.id && r.seq === seq) ? marks : null;
      });
      assert(reads.every((r) => [a.self!.id, b.self!.id].includes(r.userId)));
      // The answer on the wire: {"reads":[{"userId","seq"}]}.
      const raw = await a.request<{ reads: unknown[] }>(
        "GET",
        `/api/conversations/${encodeURIComponent(conversationId)}/reads`,
      );
      assert(raw.reads.some((r) => isDeepStrictEqual(r, { userId: b.self!.id, seq })));
      // The applied view keeps the peers' read marks.
      await eventually(() => a.view(conversationId).reads.get(b.self!.id) === seq);
      assertEquals(await errorCode(stranger.reads(conversationId)), "forbidden");
      assertEquals(await errorCode(a.reads("g:424242424242")), "not_found");
      // A read that does not advance the mark sends nothing new.
      const more = collect(a, "read");
      b.read(conversationId, 1);
      const marker = await b.send(user(a), text("after the stale read"));
      await stored(a, conversationId, marker.id);
      await roundTrip(a);
      assertEquals(more, [], "a read mark that does not advance is not announced");
    } finally {
      await Promise.all([a.close(), b.close(), b2.close()]);
    }
  },
);

Deno.test(
  "receipts in a small group: coalesced per member and second, the highest seq last",
  opts,
  async () => {
    const owner = await newUser(url);
    const reader = await newUser(url);
    const watcher = await newUser(url);
    try {
      const { to, conversationId } = await groupWith(owner, [reader, watcher]);
      let last;
      for (let i = 0; i < 20; i++) last = await owner.send(to, text(`g${i}`));
      const seqs = (await everything(reader, conversationId)).map((m) => m.seq);
      await stored(reader, conversationId, last!.id);
      const got: { seq: number; at: number }[] = [];
      watcher.on("read", (r) => {
        if (r.conversationId === conversationId && r.userId === reader.self!.id) {
          got.push({ seq: r.seq, at: Date.now() });
        }
      });
      for (const seq of seqs) reader.read(conversationId, seq);
      const top = seqs[seqs.length - 1];
      await eventually(() => got.some((r) => r.seq === top), 10_000);
      // Whatever arrives late would arrive within the next coalescing second.
      await sleep(1500);
      const spanS = (got[got.length - 1].at - got[0].at) / 1000;
      assert(
        got.length <= 2 + Math.floor(spanS),
        `${got.length} read events in ${spanS.toFixed(1)} s: ${JSON.stringify(got)}`,
      );
      assertEquals(got[got.length - 1].seq, top, "the highest seq comes last");
      assert(
        (await owner.reads(conversationId)).some((r) =>
          r.userId === reader.self!.id && r.seq === top
        ),
      );
    } finally {
      await Promise.all([owner.close(), reader.close(), watcher.close()]);
    }
  },
);

// ---------------------------------------------------------------------------------------------
// Typing

/** A raw socket signed in as `client`, collecting frames. */
async function rawSocket(client: ImClient) {
  const ws = new WebSocket(await client.connectUrl());
  const frames: Record<string, unknown>[] = [];
  let closeCode: number | null = null;
  ws.onmessage = (e) => frames.push(JSON.parse(e.data));
  ws.onclose = (e) => closeCode = e.code;
  await new Promise((resolve) => ws.onopen = resolve);
  ws.send(JSON.stringify({ op: "auth", token: client.token }));
  await eventually(() => frames.some((f) => f.op === "ready"));
  const ping = async () => {
    const before = frames.filter((f) => f.op === "pong").length;
    ws.send(JSON.stringify({ op: "ping" }));
    await eventually(() => frames.filter((f) => f.op === "pong").length > before, 10_000);
  };
  return { ws, frames, ping, closeCode: () => closeCode };
}

Deno.test(
  "typing: the peer gets it, the typist's own connections do not; a second within 2 s is dropped",
  opts,
  async () => {
    const [a, b] = await friendPair(url);
    const a2 = await secondDevice(url, a);
    try {
      const conversationId = conversationOf(a, b);
      const atB = collect(b, "typing");
      const atA2 = collect(a2, "typing");
      const socket = await rawSocket(a);
      socket.ws.send(JSON.stringify({ op: "typing", conversationId }));
      socket.ws.send(JSON.stringify({ op: "typing", conversationId }));
      await eventually(() => atB.length >= 1);
      assertEquals(atB[0], { conversationId, userId: a.self!.id });
      // A message sent after both frames: had the second been relayed, it would be here by now.
      const marker = await a.send(user(b), text("after typing"));
      await stored(b, conversationId, marker.id);
      await roundTrip(b);
      assertEquals(atB.length, 1, "the second typing frame within 2 s was dropped");
      await roundTrip(a2);
      assertEquals(atA2, [], "the typist's own other connection");
      assertEquals(socket.frames.filter((f) => f.op === "typing"), [], "the typing connection");
      assertEquals(socket.frames.filter((f) => f.op === "error"), [], "no error for a drop");
      // The SDK's own call, in a group: the other members get it.
      const member = await newUser(url);
      const { group, conversationId: groupConversation } = await groupWith(b, [member]);
      // Both online in the group as the connect servers see it (in a cluster that takes a moment).
      await eventually(async () =>
        (await b.groups()).find((g) => g.group.id === group.id)?.onlineCount === 2
      );
      const atMember = waitFor(member, "typing", (t) => t.conversationId === groupConversation);
      b.typing(groupConversation);
      assertEquals(await atMember, { conversationId: groupConversation, userId: b.self!.id });
      socket.ws.close();
      await member.close();
    } finally {
      await Promise.all([a.close(), b.close(), a2.close()]);
    }
  },
);

Deno.test(
  "typing: not relayed in a group of more than 500 members",
  opts,
  async () => {
    const owner = await newUser(url);
    const watcher = await newUser(url);
    try {
      const { group, to, conversationId } = await groupWith(owner, [watcher]);
      // 499 more (501 in all), joining in batches.
      for (let done = 0; done < 499; done += 50) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(50, 499 - done) }, () => newUser(url, { connect: false })),
        );
        await Promise.all(batch.map((m) => m.joinGroup(group.id)));
      }
      assertEquals((await owner.group(group.id)).group.memberCount, 501);
      const typing = collect(watcher, "typing");
      owner.typing(conversationId);
      // The owner's message after the typing frame: a relayed typing would have come first.
      const marker = await owner.send(to, text("after typing"));
      await stored(watcher, conversationId, marker.id);
      await roundTrip(watcher);
      assertEquals(typing, [], "no typing relayed in a group over 500 members");
    } finally {
      await Promise.all([owner.close(), watcher.close()]);
    }
  },
);

Deno.test(
  "typing: a non-participant gets an error frame and stays connected; bad frames too",
  opts,
  async () => {
    const [a, b] = await friendPair(url);
    const stranger = await newUser(url);
    try {
      const conversationId = conversationOf(a, b);
      const socket = await rawSocket(stranger);
      const atB = collect(b, "typing");
      for (
        const frame of [
          { op: "typing", conversationId },
          { op: "typing", conversationId: "g:424242424242" },
          { op: "typing", conversationId: 5 },
          { op: "typing" },
        ]
      ) {
        const errors = socket.frames.filter((f) => f.op === "error").length;
        socket.ws.send(JSON.stringify(frame));
        await eventually(() => socket.frames.filter((f) => f.op === "error").length > errors);
        const error = socket.frames.filter((f) => f.op === "error").at(-1)!;
        assert(
          ["forbidden", "not_found", "invalid_argument"].includes(error.code as string),
          `typing ${JSON.stringify(frame)}: ${JSON.stringify(error)}`,
        );
        if (frame.conversationId === conversationId) assertEquals(error.code, "forbidden");
      }
      await socket.ping();
      assertEquals(socket.closeCode(), null, "still connected");
      await roundTrip(b);
      assertEquals(atB, [], "nothing relayed from a stranger");
      socket.ws.close();
    } finally {
      await Promise.all([a.close(), b.close(), stranger.close()]);
    }
  },
);

Deno.test(
  "typing: a flood of 1,000 frames neither disconnects the typist nor keeps a message from arriving",
  opts,
  async () => {
    const [a, b] = await friendPair(url);
    try {
      const conversationId = conversationOf(a, b);
      const atB = collect(b, "typing");
      const socket = await rawSocket(a);
      const floodStarted = Date.now();
      for (let i = 0; i < 1000; i++) {
        socket.ws.send(JSON.stringify({ op: "typing", conversationId }));
      }
      const got = waitFor(
        b,
        "message",
        (m) => m.content.type === "text" && m.content.text === "through",
        15_000,
      );
      socket.ws.send(JSON.stringify({
        op: "send",
        clientMsgId: crypto.randomUUID(),
        to: user(b),
        content: text("through"),
      }));
      await got;
      await socket.ping();
      assertEquals(socket.closeCode(), null, "the flooding connection is still open");
      // One relayed per 2 s at most, however long the flood took to go through.
      const allowed = 1 + Math.ceil((Date.now() - floodStarted) / 2000);
      assert(atB.length <= allowed, `${atB.length} typing events relayed from a flood`);
      assertEquals(socket.frames.filter((f) => f.op === "error"), [], "dropped silently");
      socket.ws.close();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  },
);
