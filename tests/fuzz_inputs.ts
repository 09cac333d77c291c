/**
 * What the fuzzer sends: text with the characters that break things (NUL, controls,
 * zero-width and bidirectional marks, lone surrogates) in every text field, JSON of the
 * protocol's shapes, HTTP requests against every route and WebSocket frames of every op.
 */
import fc from "fast-check";
import { type Route, ROUTES } from "../api/routes.ts";
import { PASSWORD, PNG_2x3 } from "./harness.ts";

/** The ids the fuzzer's cases refer to: its users, their group, media and conversation. */
export interface FuzzIds {
  ids: string[];
  tokens: string[];
  /** Ids of messages the fuzzer's users sent (to reply to, edit and recall). */
  messageIds?: string[];
  /** Conversations the fuzzer's users are in (to type and read in). */
  conversationIds?: string[];
  /** Ids of pending join requests (to accept and reject). */
  requestIds?: string[];
  /** Ids no case may destroy (the fuzzer's main group: disbanding it would end its coverage). */
  keep?: string[];
}

/**
 * Routes that destroy what their path names: their cases never name a `keep` id. Leaving is one:
 * a group whose last member leaves is disbanded.
 */
const DESTRUCTIVE = new Set(["DELETE /api/groups/:id", "POST /api/groups/:id/leave"]);

/** Characters that found problems before: each must be refused or kept harmless. */
export const HOSTILE_CHARS = [
  "\0",
  "\x01",
  "\x08",
  "\x1b",
  "\x7f",
  "\x85",
  "\u00ad",
  "\u0301",
  "\u061c",
  "\u200b",
  "\u200c",
  "\u200d",
  "\u200e",
  "\u200f",
  "\u202a",
  "\u202b",
  "\u202c",
  "\u202d",
  "\u202e",
  "\u2060",
  "\u2066",
  "\u2067",
  "\u2068",
  "\u2069",
  "\ufeff",
  "\ufffe",
  "\uffff",
  "\ud800",
  "\udbff",
  "\udc00",
  "\udfff",
] as const;

/** Text: printable, any code point, or (most often) a plausible name laced with hostile characters. */
export function text(): fc.Arbitrary<string> {
  // NUL gets a quarter of the hostile picks: one in a text field took the server to 503.
  const hostile = fc.oneof(
    { weight: 1, arbitrary: fc.constant("\0") },
    { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_CHARS) },
  );
  return fc.oneof(
    { weight: 2, arbitrary: fc.string() },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
    {
      weight: 3,
      arbitrary: fc.array(fc.oneof(fc.string({ minLength: 1, maxLength: 6 }), hostile), {
        minLength: 1,
        maxLength: 5,
      }).map((parts) => parts.join("")),
    },
  );
}

/**
 * Percent-encodes as a client that writes UTF-16 code units would: a lone surrogate becomes its
 * three bytes (invalid UTF-8), which `encodeURIComponent` would throw on.
 */
export function percentEncode(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    const pair = unit >= 0xd800 && unit <= 0xdbff && i + 1 < s.length &&
      (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    if (pair) {
      out += encodeURIComponent(s.slice(i, i + 2));
      i++;
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      out += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`).join("");
    } else {
      out += encodeURIComponent(s[i]);
    }
  }
  return out;
}

const FIELDS = [
  "username",
  "password",
  "current",
  "nickname",
  "avatar",
  "userId",
  "note",
  "name",
  "memberIds",
  "userIds",
  "to",
  "type",
  "id",
  "clientMsgId",
  "content",
  "text",
  "mediaId",
  "conversationId",
  "seq",
  "token",
  "op",
  "q",
  "limit",
  "after",
  "before",
  "replyTo",
  "mentions",
  "mentionAll",
  "action",
  "target",
  "kind",
  "role",
  "mutedUntil",
  "notice",
  "joinPolicy",
  "muted",
  "history",
  "requestId",
  "pinned",
  "hidden",
];

/** Any JSON value, with the protocol's field names and type confusions likely. */
function jsonValue(ids: string[]): fc.Arbitrary<unknown> {
  const leaf = fc.oneof(
    text(),
    fc.string({ unit: "grapheme", maxLength: 300 }),
    fc.constantFrom(
      ...ids,
      "",
      "0",
      "-1",
      "1e400",
      "9".repeat(40),
      "user",
      "group",
      "text",
      "image",
      "file",
      "update",
      "recalled",
      "system",
      "owner",
      "admin",
      "member",
      "open",
      "approval",
      "invite",
      "all",
      "since_join",
    ),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant("x".repeat(70_000)),
  );
  return fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf,
      tie("array"),
      tie("object"),
    ),
    array: fc.array(tie("value"), { maxLength: 5 }),
    object: fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), text()), tie("value"), {
      maxKeys: 6,
    }),
  })).value;
}

/**
 * File names (`X-File-Name` and a file message's `name`): hostile text, paths, a name of 10,000
 * characters, one just over and at the 255 limit, emoji with joiners (allowed) and bidi overrides.
 */
export function fileName(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: text() },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        "../x",
        "..\\x",
        "/etc/passwd",
        "a/b",
        ".",
        "..",
        " ",
        "x".repeat(10_000),
        "é".repeat(255),
        "é".repeat(256),
        "\u202egpj.exe",
        "photo\u2066.png",
        "report\0.pdf",
        "line\nbreak.txt",
        "👨‍👩‍👧.zip",
        "<script>alert(1)</script>.html",
        "CON",
        "name.txt",
      ),
    },
  );
}

/** Lowercase hex digits, `length` of them. */
function hex(length: number): fc.Arbitrary<string> {
  return fc.string({
    unit: fc.constantFrom(..."0123456789abcdef"),
    minLength: length,
    maxLength: length,
  });
}

/**
 * A W3C traceparent as a client may send one (on a send frame, or as an HTTP header): mostly
 * well formed (the server continues its trace), else malformed in each part (the version, an
 * all-zero id, uppercase, a wrong length, spaces), huge, or hostile text. Never an error.
 */
export function traceparent(): fc.Arbitrary<string> {
  const valid = fc.tuple(hex(32), hex(16), fc.constantFrom("00", "01")).map((
    [trace, span, flags],
  ) => `00-${trace}-${span}-${flags}`);
  return fc.oneof(
    { weight: 3, arbitrary: valid },
    {
      weight: 2,
      arbitrary: fc.oneof(
        valid.map((v) => v.toUpperCase()),
        valid.map((v) => `ff${v.slice(2)}`),
        valid.map((v) => `${v} `),
        valid.map((v) => v.slice(0, -1)),
        valid.map((v) => `${v}-extra`),
        hex(16).map((span) => `00-${"0".repeat(32)}-${span}-01`),
        hex(32).map((trace) => `00-${trace}-${"0".repeat(16)}-01`),
        fc.constantFrom("", "00", "00---", "00-x-y-z", "\u0000"),
      ),
    },
    { weight: 1, arbitrary: fc.constant("0".repeat(8000)) },
    { weight: 1, arbitrary: text() },
  );
}

/** A send frame's `traceparent`: a string as above, or another type (ignored like a malformed one). */
function frameTraceparent(ids: string[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: traceparent() },
    { weight: 1, arbitrary: fc.constantFrom(null, 0, 1.5, true, [], {}, ["00"], { traceId: "x" }) },
    { weight: 1, arbitrary: jsonValue(ids) },
  );
}

/** Content a client sends: every type with its v2 fields (reply, mentions, file), often wrong. */
function content(ids: string[], messageIds: string[]): fc.Arbitrary<unknown> {
  const id = fc.constantFrom(...ids);
  const replyTo = fc.oneof(fc.constantFrom(...messageIds), id, text(), fc.integer());
  const mentions = fc.oneof(
    fc.array(id, { maxLength: 3 }),
    fc.array(fc.oneof(id, text()), { minLength: 1, maxLength: 3 }),
    fc.constant(Array.from({ length: 51 }, (_, i) => String(i + 1))),
    text(),
  );
  return fc.oneof(
    fc.record({
      type: fc.constant("text"),
      text: text(),
      replyTo,
      mentions,
      mentionAll: fc.oneof(fc.boolean(), text()),
    }, { requiredKeys: ["type", "text"] }),
    fc.record({ type: fc.constant("image"), mediaId: id, replyTo }, {
      requiredKeys: ["type", "mediaId"],
    }),
    fc.record({ type: fc.constant("file"), mediaId: id, name: fileName(), replyTo }, {
      requiredKeys: ["type"],
    }),
    fc.record({
      type: fc.constantFrom("update", "recalled"),
      action: fc.constantFrom("edit", "recall"),
      target: fc.constantFrom(...messageIds),
      recalledBy: id,
    }, { requiredKeys: ["type"] }),
  );
}

/** The body each route expects, its text fields hostile: these reach the logic and the store. */
function shapedBody(
  route: string,
  ids: string[],
  messageIds: string[],
): fc.Arbitrary<unknown> | null {
  const id = fc.constantFrom(...ids);
  const t = text();
  const partial = { requiredKeys: [] as never[] };
  switch (route) {
    case "POST /api/auth/register":
    case "POST /api/auth/login":
      return fc.record({ username: t, password: fc.oneof(t, fc.constant("correct horse")) });
    case "PATCH /api/me":
      return fc.record({ nickname: t, avatar: fc.oneof(id, t) }, partial);
    // Account settings: the fuzzer's own password may be changed (its token stays valid), but
    // the account is never deleted with it (every later case would only meet 401).
    case "POST /api/me/password":
      return fc.record({ current: fc.oneof(t, fc.constant(PASSWORD)), password: t });
    case "DELETE /api/me":
      return fc.record({ password: fc.oneof(t, fc.constant("correct horse")) });
    case "POST /api/friends/requests":
      return fc.record({ userId: id, note: t }, { requiredKeys: ["userId"] });
    case "POST /api/groups":
      return fc.record({ name: t, memberIds: fc.array(id, { maxLength: 2 }) }, {
        requiredKeys: ["name"],
      });
    // Version 2: the settings of a group, each often of the wrong type or value.
    case "PATCH /api/groups/:id":
      return fc.record({
        name: t,
        avatar: fc.oneof(id, t, fc.constant(null)),
        notice: fc.oneof(t, fc.constant("line 1\nline 2"), fc.constant("😀".repeat(1001))),
        joinPolicy: fc.oneof(fc.constantFrom("open", "approval", "invite", "closed"), t),
        muted: fc.oneof(fc.boolean(), t, fc.constant(null)),
        history: fc.oneof(fc.constantFrom("all", "since_join"), t),
      }, partial);
    // A member's role and mute: at least one, each in and out of range.
    case "PATCH /api/groups/:id/members/:userId":
      return fc.record({
        role: fc.oneof(fc.constantFrom("admin", "member", "owner", ""), t, fc.integer()),
        mutedUntil: mutedUntil(),
      }, partial);
    case "POST /api/groups/:id/transfer":
      return fc.record({ userId: fc.oneof(id, t, fc.integer()) }, partial);
    case "POST /api/groups/:id/members":
      return fc.record({ userIds: fc.array(fc.oneof(id, t), { maxLength: 3 }) });
    case "POST /api/messages":
      return fc.record({
        clientMsgId: t,
        to: fc.record({ type: fc.constantFrom("user", "group"), id }),
        content: fc.oneof(
          fc.record({ type: fc.constant("text"), text: t }),
          content(ids, messageIds),
        ),
      });
    // Version 2, Conversations: the caller's settings, at least one of three booleans; none, an
    // unknown field or another type is refused.
    case "PATCH /api/conversations/:id":
      return fc.oneof(
        {
          weight: 3,
          arbitrary: fc.record(
            { pinned: fc.boolean(), muted: fc.boolean(), hidden: fc.boolean() },
            partial,
          ).filter((body) => Object.keys(body).length > 0),
        },
        {
          weight: 3,
          arbitrary: fc.record({
            pinned: settingValue(),
            muted: settingValue(),
            hidden: settingValue(),
          }, partial),
        },
        fc.record({
          pinned: fc.boolean(),
          unread: fc.integer(),
          lastSeq: fc.integer(),
          readSeq: fc.integer(),
          id: id,
        }, { requiredKeys: ["pinned"] }),
        fc.dictionary(fc.oneof(fc.constantFrom("pinned", "muted", "hidden"), t), settingValue(), {
          maxKeys: 4,
        }),
      );
    // An edit's body is `{"content":{"type":"text","text"}}`; anything else must be refused.
    case "PATCH /api/messages/:id":
      return fc.oneof(
        {
          weight: 3,
          arbitrary: fc.record({ content: fc.record({ type: fc.constant("text"), text: t }) }),
        },
        fc.record({ content: content(ids, messageIds) }),
        fc.record({ text: t }),
      );
    default:
      return null;
  }
}

/**
 * Query text for message search (`GET /api/messages/search?q`): hostile text; what the engines'
 * query languages and SQL give meaning to (wildcards, quotes, backslashes, FTS5 and tsquery
 * operators, column filters); regular-expression bombs; CJK and Latin words the fuzzer's own
 * messages hold; and lengths at and past the 2–100 code point limits. Each must be searched
 * literally: an answer, or `invalid_argument`, never a 5xx.
 */
export function searchQuery(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: text() },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        "%",
        "%%",
        "_",
        "__",
        "\\",
        "\\\\",
        "'",
        "''",
        '"',
        '""',
        "a & b",
        "a | b",
        "!a",
        '"x" OR y',
        "x AND y",
        "NOT x",
        "*",
        "**",
        "x*",
        "<->",
        "a <-> b",
        "a <2> b",
        "NEAR(",
        "NEAR(a b, 2)",
        "grams:ab",
        "conv : g1",
        "{conv grams}: x",
        "^ab",
        "(a+)+$",
        "^(a|aa)*$",
        "(.*a){20}",
        ".*",
        "'; DROP TABLE messages; --",
        "\x00",
        "fuzz",
        "FUZZ 1",
        "normal",
        "世界",
        "你好世界",
        "タワー",
        "하세요",
        "ell",
        "",
        " ",
        "a",
        "😀",
        "😀😀",
        "x".repeat(100),
        "x".repeat(101),
        "世".repeat(100),
        "世".repeat(101),
        "x".repeat(10_000),
      ),
    },
    { weight: 1, arbitrary: fc.string({ unit: "grapheme", minLength: 2, maxLength: 120 }) },
  );
}

/**
 * The query of a message search: mostly one the server answers (so the query reaches the store:
 * `q` of any kind, the fuzzer's conversations, its messages' ids as `before`, a limit of 1–50),
 * else any parameter broken: conversations of others or malformed, cursors at and past the
 * largest id or malformed, limits out of range or not numbers.
 */
function searchParams(
  messageIds: string[],
  conversations: string[],
): fc.Arbitrary<Record<string, string>> {
  const answered = fc.record({
    q: searchQuery(),
    conversationId: fc.constantFrom(...conversations),
    before: fc.oneof(
      fc.constantFrom(...messageIds),
      fc.bigInt({ min: 1n, max: (1n << 63n) - 1n }).map(String),
    ),
    limit: fc.integer({ min: 1, max: 50 }).map(String),
  }, { requiredKeys: ["q"] });
  const broken = fc.record({
    q: searchQuery(),
    conversationId: fc.oneof(
      text(),
      fc.constantFrom("g:999999999999", "u:1:2", "g:", "u:", "", "%"),
    ),
    before: fc.oneof(
      fc.bigInt({ min: 1n, max: 10n ** 19n - 1n }).map(String),
      fc.constantFrom(
        "1",
        "0",
        "-1",
        "01",
        "1.5",
        "1e3",
        "9223372036854775807",
        "9223372036854775808",
        "9999999999999999999",
        "99999999999999999999",
        "abc",
        "",
      ),
      text(),
    ),
    limit: fc.oneof(
      fc.integer({ min: -2, max: 60 }).map(String),
      fc.constantFrom("", "abc", "1.5", "1e1", "51", "9".repeat(30)),
      text(),
    ),
  }, { requiredKeys: [] });
  return fc.oneof({ weight: 3, arbitrary: answered }, { weight: 2, arbitrary: broken });
}

/** A setting's value: mostly a boolean, else a type confusion. */
function settingValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.boolean() },
    { weight: 1, arbitrary: fc.constantFrom(null, 0, 1, "true", "false", "", [], {}, [true]) },
    { weight: 1, arbitrary: text() },
  );
}

/** A mute's end: soon, past, at and beyond the 366-day limit, fractional, huge, wrong types. */
function mutedUntil(): fc.Arbitrary<unknown> {
  const day = 24 * 3600 * 1000;
  return fc.oneof(
    fc.integer({ min: 1000, max: 366 * day + day }).map((ahead) => Date.now() + ahead),
    fc.integer({ min: 0, max: 10 * day }).map((ago) => Date.now() - ago),
    fc.constantFrom(null, 0, -1, 1.5, 1e300, Number.MAX_SAFE_INTEGER, "tomorrow", true, [], {}),
    fc.double(),
  );
}

/** A request body: the route's shape, JSON of the protocol's shapes, broken JSON or raw bytes. */
function body(
  route: string,
  ids: string[],
  messageIds: string[],
): fc.Arbitrary<string | Uint8Array | undefined> {
  const json = jsonValue(ids);
  const shaped = shapedBody(route, ids, messageIds);
  return fc.oneof(
    {
      weight: 3,
      arbitrary: shaped ? shaped.map((v) => JSON.stringify(v)) : json.map((v) => JSON.stringify(v)),
    },
    json.map((v) => JSON.stringify(v)),
    json.map((v) => JSON.stringify(v).slice(0, -1)),
    fc.integer({ min: 1, max: 5000 }).map((n) => "[".repeat(n) + "]".repeat(n)),
    fc.uint8Array({ maxLength: 2000 }),
    fc.constant(PNG_2x3 as Uint8Array),
    fc.constant(undefined),
    text(),
  );
}

/**
 * What every process serves beside the API (h18: metrics, liveness, readiness): each must answer
 * whatever comes, never with a 5xx while the server's dependencies are up.
 */
const OPS_ROUTES: readonly Pick<Route, "method" | "path">[] = [
  { method: "GET", path: "/metrics" },
  { method: "GET", path: "/healthz" },
  { method: "GET", path: "/readyz" },
];

/**
 * An HTTP request against one of the routes (the API's and the operations routes), its path,
 * query and headers (a `traceparent` among them) mangled.
 */
export function httpCase(
  { ids, tokens, messageIds = ids, conversationIds = [], requestIds = [], keep = [] }: FuzzIds,
) {
  const routes: readonly Pick<Route, "method" | "path">[] = [
    ...ROUTES.filter((r) => r.path !== "/api/auth/logout"),
    ...OPS_ROUTES,
  ];
  // Path parameters: users, groups and media, the messages and conversations they hold, and
  // pending join requests.
  const pathIds = [...ids, ...messageIds, ...conversationIds, ...requestIds];
  const spareIds = pathIds.filter((id) => !keep.includes(id));
  const conversations = [...conversationIds, ...ids.map((id) => `g:${id}`)];
  const anyQuery = fc.dictionary(
    fc.constantFrom("q", "limit", "after", "before", "x", "kind", "conversationId"),
    fc.oneof(text(), fc.constantFrom("file", "image", "FILE", "")),
    { maxKeys: 3 },
  );
  return fc.constantFrom(...routes).chain((route) =>
    fc.record({
      route: fc.constant(route),
      // Mostly the route's own method, ids and a valid token, so most cases reach logic.
      method: fc.oneof(
        { weight: 6, arbitrary: fc.constant("") },
        { weight: 1, arbitrary: fc.constantFrom("GET", "POST", "PATCH", "DELETE", "PUT") },
      ),
      params: fc.array(
        fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...pathIds) },
          { weight: 1, arbitrary: text() },
          { weight: 1, arbitrary: fc.constantFrom("%", "%00", "..", "%2F", "0", "-1") },
        ),
        { minLength: 3, maxLength: 3 },
      ),
      // Message search mostly gets its own parameters (they reach the store's query); every
      // route also gets any of the protocol's parameters, mangled.
      query: route.path === "/api/messages/search"
        ? fc.oneof(
          { weight: 4, arbitrary: searchParams(messageIds, conversations) },
          { weight: 1, arbitrary: anyQuery },
        )
        : anyQuery,
      // X-File-Name: mostly percent-encoded as the protocol says, sometimes raw or broken.
      fileName: fc.oneof(
        { weight: 2, arbitrary: fc.constant(undefined) },
        { weight: 3, arbitrary: fileName().map(percentEncode) },
        { weight: 1, arbitrary: fileName() },
        {
          weight: 1,
          arbitrary: fc.constantFrom("%", "%zz", "%C3%28", "%ED%A0%80", "%00", "..%2Fx"),
        },
      ),
      auth: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(...tokens).map((t) => `Bearer ${t}`) },
        { weight: 1, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.string().map((s) => `Bearer ${s}`) },
        { weight: 1, arbitrary: fc.string() },
      ),
      contentType: fc.constantFrom(undefined, "application/json", "text/plain", "image/png", "x/y"),
      traceparent: fc.option(traceparent(), { nil: undefined }),
      body: body(`${route.method} ${route.path}`, ids, messageIds),
    }).map((c) =>
      // A destructive call (by its method, mutated or not) names a spare id instead of a kept one.
      DESTRUCTIVE.has(`${c.method || route.method} ${route.path}`) && spareIds.length > 0
        ? {
          ...c,
          params: c.params.map((p, i) => keep.includes(p) ? spareIds[i % spareIds.length] : p),
        }
        : c
    )
  );
}

/** One HTTP case. */
export type HttpCase = ReturnType<typeof httpCase> extends fc.Arbitrary<infer T> ? T : never;

/**
 * WebSocket frames: every op with mutated fields and hostile text, or garbage; typing frames come
 * in bursts (a list of frames sent back to back).
 */
export function wsCase(
  { ids, messageIds = ids, conversationIds = [] }: FuzzIds,
): fc.Arbitrary<string | string[]> {
  const json = jsonValue(ids);
  const conversations = [...conversationIds, ...ids.map((id) => `g:${id}`)];
  return fc.oneof(
    // Typing: the participants' conversations, others', and broken ids, often in bursts.
    fc.record({
      op: fc.constant("typing"),
      conversationId: fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...conversations) },
        { weight: 1, arbitrary: text() },
        { weight: 1, arbitrary: json },
      ),
    }, { requiredKeys: ["op"] }).chain((frame) =>
      fc.integer({ min: 1, max: 20 }).map((n) =>
        Array.from({ length: n }, () => JSON.stringify(frame))
      )
    ),
    fc.record({
      op: fc.constantFrom("send", "ack", "read", "ping", "auth", "typing", "nope"),
      clientMsgId: fc.oneof(text(), json),
      to: fc.oneof(
        fc.record({ type: fc.constantFrom("user", "group", "x"), id: fc.constantFrom(...ids) }),
        json,
      ),
      content: fc.oneof(
        fc.record({ type: fc.constantFrom("text", "image"), text: text() }),
        content(ids, messageIds),
        json,
      ),
      conversationId: fc.oneof(text(), fc.constantFrom(...conversations)),
      seq: fc.oneof(fc.integer(), json),
      token: fc.oneof(text(), json),
      traceparent: frameTraceparent(ids),
    }, { requiredKeys: ["op"] }).map((frame) => JSON.stringify(frame)),
    // A well-formed send with a traceparent of any kind: it must be answered like any send.
    fc.record({
      op: fc.constant("send"),
      clientMsgId: fc.uuid(),
      to: fc.record({ type: fc.constantFrom("user", "group"), id: fc.constantFrom(...ids) }),
      content: fc.record({ type: fc.constant("text"), text: text() }),
      traceparent: frameTraceparent(ids),
    }).map((frame) => JSON.stringify(frame)),
    json.map((v) => JSON.stringify(v)),
    text(),
    fc.integer({ min: 1, max: 3000 }).map((n) => `{"op":"send","to":${"[".repeat(n)}`),
  );
}

/** Describes a case's body for a finding: short, with invisible characters escaped. */
export function describe(value: unknown): string {
  const s = typeof value === "string"
    ? value
    : value instanceof Uint8Array
    ? `${value.length} bytes`
    : String(value);
  return JSON.stringify(s.slice(0, 160)).replace(
    /[\u007f-\u009f\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
