import { assertEquals } from "../tests/assert.ts";
import { groupView, mediaUrl, mediaView, userView } from "./views.ts";

const MEDIA = "m".repeat(24);

Deno.test("mediaUrl() is the api's path of the media", () => {
  assertEquals(mediaUrl(MEDIA), `/api/media/${MEDIA}`);
});

Deno.test("userView() and groupView() turn the avatar's media id into its URL, or null", () => {
  const user = { id: "1", username: "ann", nickname: "Ann" };
  assertEquals(userView({ ...user, avatarMediaId: MEDIA }), { ...user, avatar: mediaUrl(MEDIA) });
  assertEquals(userView({ ...user, avatarMediaId: null }), { ...user, avatar: null });
  const group = {
    id: "2",
    name: "g",
    ownerId: "1",
    memberCount: 1,
    createdAt: 5,
    history: "all" as const,
    notice: "Be kind",
    joinPolicy: "approval" as const,
    muted: true,
  };
  assertEquals(groupView({ ...group, avatarMediaId: MEDIA }), {
    ...group,
    avatar: mediaUrl(MEDIA),
  });
  assertEquals(groupView({ ...group, avatarMediaId: null }), { ...group, avatar: null });
});

Deno.test("mediaView() keeps what clients see of media, with its URL", () => {
  const info = { id: MEDIA, contentType: "image/png", size: 3, width: 1, height: null };
  assertEquals(mediaView({ ...info, sha256: "abc", ownerId: "1", createdAt: 1 }), {
    ...info,
    url: mediaUrl(MEDIA),
  });
});
