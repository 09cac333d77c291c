/**
 * The checks of a send's input that need nothing but the input and the media
 * store: its target, content and clientMsgId. What depends on the conversation
 * (a reply's message, mentioned members, the sender's role) is checked with the
 * batch, in send_refs.ts.
 */
import { AppError } from "../shared/errors.ts";
import type { Content, Target } from "../shared/types.ts";
import type { Context } from "./context.ts";
import { newMediaId } from "./credentials.ts";
import { checkFileName } from "./file_name.ts";
import { checkId, checkMediaId, checkString, object } from "./validate.ts";
import { mediaUrl } from "./views.ts";

/** Most users one text may mention. */
export const MENTIONS_MAX = 50;

const CLIENT_MSG_ID = {
  min: 1,
  max: 64,
  pattern: /^[\x21-\x7e]+$/,
  patternText: "printable ASCII without spaces",
};

/** The envelope of a send: its clientMsgId checked, the rest to check in its batch. */
export function sendEnvelope(input: unknown): {
  clientMsgId: string;
  body: Record<string, unknown>;
} {
  const body = object(input, ["to", "clientMsgId", "content"]);
  return { clientMsgId: checkString(body.clientMsgId, "clientMsgId", CLIENT_MSG_ID), body };
}

/** Where a send goes. */
export function target(value: unknown): Target {
  const body = object(value, ["type", "id"], "to");
  if (body.type !== "user" && body.type !== "group") {
    throw new AppError("invalid_argument", 'Invalid to.type: expected "user" or "group"');
  }
  return { type: body.type, id: checkId(body.id, "to.id") };
}

/** A send's content as stored, and the id of the message it answers, still to be checked. */
export interface CheckedContent {
  content: Content;
  replyTo?: string;
}

/** What a send carries; an image or a file must name stored media of its kind. */
export async function content(ctx: Context, value: unknown): Promise<CheckedContent> {
  const body = object(value, [
    "type",
    "text",
    "mediaId",
    "name",
    "replyTo",
    "mentions",
    "mentionAll",
  ], "content");
  const replyTo = body.replyTo === undefined
    ? {}
    : { replyTo: checkId(body.replyTo, "content.replyTo") };
  if (body.type === "text") {
    object(value, ["type", "text", "replyTo", "mentions", "mentionAll"], "content");
    const text = checkString(body.text, "content.text", { min: 1, max: ctx.limits.textMax });
    return { content: { type: "text", text, ...mentionsOf(body) }, ...replyTo };
  }
  if (body.type === "image") {
    object(value, ["type", "mediaId", "replyTo"], "content");
    const mediaId = checkMediaId(body.mediaId, "content.mediaId");
    const info = await ctx.store.media.info(mediaId);
    if (!info) throw new AppError("not_found", `Cannot send image "${mediaId}": no such media`);
    if (info.name != null) {
      throw new AppError(
        "invalid_argument",
        `Cannot send image "${mediaId}": it was uploaded as a file; send it as a file`,
      );
    }
    const size = info.width !== null && info.height !== null
      ? { width: info.width, height: info.height }
      : {};
    return { content: { type: "image", mediaId, url: mediaUrl(mediaId), ...size }, ...replyTo };
  }
  if (body.type === "file") {
    object(value, ["type", "mediaId", "name", "replyTo"], "content");
    const mediaId = checkMediaId(body.mediaId, "content.mediaId");
    const name = checkFileName(body.name, "content.name");
    const info = await ctx.store.media.info(mediaId);
    if (!info) throw new AppError("not_found", `Cannot send file "${mediaId}": no such media`);
    if (info.name == null) {
      throw new AppError(
        "invalid_argument",
        `Cannot send file "${mediaId}": it was uploaded as an image (upload files with kind=file)`,
      );
    }
    return {
      content: {
        type: "file",
        mediaId,
        name,
        url: mediaUrl(mediaId),
        size: info.size,
        contentType: info.contentType,
      },
      ...replyTo,
    };
  }
  throw new AppError(
    "invalid_argument",
    'Invalid content.type: expected "text", "image" or "file"',
  );
}

/**
 * A checked content with media of its own: an image or file gets a new media id
 * (minted as uploads mint theirs: an unguessable capability) that the store
 * makes, as it saves the message, into a copy of the media the sender named
 * (`mediaSource`), sharing its bytes. A recall then deletes this message's media
 * alone, whoever uploaded the bytes and wherever else they show. Minted once per
 * accepted message, so a retried send carries the very same id.
 */
export function withOwnMedia(content: Content): { content: Content; mediaSource?: string } {
  if (content.type !== "image" && content.type !== "file") return { content };
  const mediaId = newMediaId();
  return { content: { ...content, mediaId, url: mediaUrl(mediaId) }, mediaSource: content.mediaId };
}

/** The mentions of a text: distinct ids, at most `MENTIONS_MAX`; who they are is checked with the batch. */
function mentionsOf(body: Record<string, unknown>): { mentions?: string[]; mentionAll?: true } {
  const out: { mentions?: string[]; mentionAll?: true } = {};
  if (body.mentions !== undefined) {
    if (!Array.isArray(body.mentions) || body.mentions.length > MENTIONS_MAX) {
      throw new AppError(
        "invalid_argument",
        `Invalid content.mentions: expected an array of at most ${MENTIONS_MAX} user ids`,
      );
    }
    const ids = body.mentions.map((id, i) => checkId(id, `content.mentions[${i}]`));
    if (ids.length > 0) out.mentions = [...new Set(ids)];
  }
  if (body.mentionAll !== undefined && typeof body.mentionAll !== "boolean") {
    throw new AppError("invalid_argument", "Invalid content.mentionAll: expected a boolean");
  }
  if (body.mentionAll === true) out.mentionAll = true;
  return out;
}
