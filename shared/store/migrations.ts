/**
 * The schema, as an ordered list of migrations, each in two dialects side by
 * side: `sql`, plain PostgreSQL 15 run unchanged by PGlite and by PostgreSQL,
 * and `sqlite`, the same tables, columns and constraints for the embedded
 * store (sqlite.ts). Ids are 64-bit snowflakes (bigint; in SQLite an INTEGER
 * PRIMARY KEY is the row id itself), times are milliseconds since the Unix
 * epoch. A test compares the two schemas column by column.
 */
export const MIGRATIONS: readonly { version: number; name: string; sql: string; sqlite: string }[] =
  [
    {
      version: 1,
      name: "initial schema",
      sql: `
CREATE TABLE users (
  id bigint PRIMARY KEY,
  username text NOT NULL,
  username_lower text NOT NULL UNIQUE,
  password_hash text NOT NULL,
  nickname text NOT NULL,
  avatar_media_id text,
  created_at bigint NOT NULL
);
CREATE INDEX users_nickname_lower ON users (lower(nickname));

CREATE TABLE sessions (
  token_hash text PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id),
  expires_at bigint NOT NULL,
  revoked boolean NOT NULL DEFAULT false
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE friend_requests (
  id bigint PRIMARY KEY,
  from_id bigint NOT NULL REFERENCES users (id),
  to_id bigint NOT NULL REFERENCES users (id),
  note text NOT NULL,
  created_at bigint NOT NULL,
  UNIQUE (from_id, to_id)
);
CREATE INDEX friend_requests_to ON friend_requests (to_id);

CREATE TABLE friendships (
  user_id bigint NOT NULL REFERENCES users (id),
  friend_id bigint NOT NULL REFERENCES users (id),
  created_at bigint NOT NULL,
  PRIMARY KEY (user_id, friend_id)
);

CREATE TABLE groups (
  id bigint PRIMARY KEY,
  name text NOT NULL,
  avatar_media_id text,
  owner_id bigint REFERENCES users (id),
  created_at bigint NOT NULL
);
CREATE INDEX groups_name_lower ON groups (lower(name));

CREATE TABLE group_members (
  group_id bigint NOT NULL REFERENCES groups (id),
  user_id bigint NOT NULL REFERENCES users (id),
  role text NOT NULL CHECK (role IN ('owner', 'member')),
  joined_at bigint NOT NULL,
  PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE media_blobs (
  sha256 text PRIMARY KEY,
  bytes bytea NOT NULL
);

CREATE TABLE media (
  id text PRIMARY KEY,
  sha256 text NOT NULL REFERENCES media_blobs (sha256),
  content_type text NOT NULL,
  size integer NOT NULL,
  width integer,
  height integer,
  owner_id bigint NOT NULL REFERENCES users (id),
  created_at bigint NOT NULL
);

CREATE TABLE conversations (
  id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('user', 'group')),
  user_a bigint,
  user_b bigint,
  group_id bigint,
  last_seq integer NOT NULL,
  last_message_id bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE INDEX conversations_user_a ON conversations (user_a);
CREATE INDEX conversations_user_b ON conversations (user_b);
CREATE INDEX conversations_group ON conversations (group_id);

CREATE TABLE messages (
  id bigint PRIMARY KEY,
  conversation_id text NOT NULL,
  seq integer NOT NULL,
  sender_id bigint NOT NULL,
  target_type text NOT NULL,
  target_id bigint NOT NULL,
  content text NOT NULL,
  sent_at bigint NOT NULL,
  client_msg_id text NOT NULL,
  UNIQUE (conversation_id, seq)
);
CREATE INDEX messages_client_id ON messages (sender_id, client_msg_id);

CREATE TABLE read_marks (
  user_id bigint NOT NULL,
  conversation_id text NOT NULL,
  read_seq integer NOT NULL,
  PRIMARY KEY (user_id, conversation_id)
);
`,
      // (A PRIMARY KEY of a table with a row id takes NULL in SQLite unless NOT NULL says otherwise.)
      sqlite: `
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  username text NOT NULL,
  username_lower text NOT NULL UNIQUE,
  password_hash text NOT NULL,
  nickname text NOT NULL,
  avatar_media_id text,
  created_at bigint NOT NULL
);

CREATE TABLE sessions (
  token_hash text NOT NULL PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id),
  expires_at bigint NOT NULL,
  revoked boolean NOT NULL DEFAULT false
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE friend_requests (
  id INTEGER PRIMARY KEY,
  from_id bigint NOT NULL REFERENCES users (id),
  to_id bigint NOT NULL REFERENCES users (id),
  note text NOT NULL,
  created_at bigint NOT NULL,
  UNIQUE (from_id, to_id)
);
CREATE INDEX friend_requests_to ON friend_requests (to_id);

CREATE TABLE friendships (
  user_id bigint NOT NULL REFERENCES users (id),
  friend_id bigint NOT NULL REFERENCES users (id),
  created_at bigint NOT NULL,
  PRIMARY KEY (user_id, friend_id)
) WITHOUT ROWID;

CREATE TABLE groups (
  id INTEGER PRIMARY KEY,
  name text NOT NULL,
  avatar_media_id text,
  owner_id bigint REFERENCES users (id),
  created_at bigint NOT NULL
);

CREATE TABLE group_members (
  group_id bigint NOT NULL REFERENCES groups (id),
  user_id bigint NOT NULL REFERENCES users (id),
  role text NOT NULL CHECK (role IN ('owner', 'member')),
  joined_at bigint NOT NULL,
  PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE media_blobs (
  sha256 text NOT NULL PRIMARY KEY,
  bytes blob NOT NULL
);

CREATE TABLE media (
  id text NOT NULL PRIMARY KEY,
  sha256 text NOT NULL REFERENCES media_blobs (sha256),
  content_type text NOT NULL,
  size integer NOT NULL,
  width integer,
  height integer,
  owner_id bigint NOT NULL REFERENCES users (id),
  created_at bigint NOT NULL
);

CREATE TABLE conversations (
  id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('user', 'group')),
  user_a bigint,
  user_b bigint,
  group_id bigint,
  last_seq integer NOT NULL,
  last_message_id bigint NOT NULL,
  updated_at bigint NOT NULL
) WITHOUT ROWID;
CREATE INDEX conversations_user_a ON conversations (user_a);
CREATE INDEX conversations_user_b ON conversations (user_b);
CREATE INDEX conversations_group ON conversations (group_id);

CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  conversation_id text NOT NULL,
  seq integer NOT NULL,
  sender_id bigint NOT NULL,
  target_type text NOT NULL,
  target_id bigint NOT NULL,
  content text NOT NULL,
  sent_at bigint NOT NULL,
  client_msg_id text NOT NULL,
  UNIQUE (conversation_id, seq)
);
CREATE INDEX messages_client_id ON messages (sender_id, client_msg_id);

CREATE TABLE read_marks (
  user_id bigint NOT NULL,
  conversation_id text NOT NULL,
  read_seq integer NOT NULL,
  PRIMARY KEY (user_id, conversation_id)
) WITHOUT ROWID;
`,
    },
    {
      version: 2,
      name: "username skeletons",
      // The confusable skeleton (Unicode TR 39) of a username, restricted to the
      // characters a username may hold ([A-Za-z0-9_.-]): the ASCII look-alikes of
      // confusables.txt (I and 1 as l, 0 as O, m as rn, w as vv, d as cl), then
      // case folded, as usernames are unique ignoring case. Existing users get
      // theirs; of existing look-alikes only the oldest does (the others keep
      // NULL, which the unique index lets stand), so the migration never fails.
      sql: `
CREATE FUNCTION username_skeleton(name text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT replace(replace(replace(lower(translate(name, 'I10', 'llO')), 'm', 'rn'), 'w', 'vv'), 'd', 'cl') $$;

ALTER TABLE users ADD COLUMN skeleton text;
UPDATE users u SET skeleton = username_skeleton(u.username)
  WHERE NOT EXISTS (
    SELECT 1 FROM users o
    WHERE username_skeleton(o.username) = username_skeleton(u.username) AND o.id < u.id
  );
CREATE UNIQUE INDEX users_skeleton ON users (skeleton);
`,
      // username_skeleton() is the same function in JavaScript (sqlite.ts).
      sqlite: `
ALTER TABLE users ADD COLUMN skeleton text;
UPDATE users SET skeleton = username_skeleton(username)
  WHERE NOT EXISTS (
    SELECT 1 FROM users o
    WHERE username_skeleton(o.username) = username_skeleton(users.username) AND o.id < users.id
  );
CREATE UNIQUE INDEX users_skeleton ON users (skeleton);
`,
    },
    {
      version: 3,
      name: "group history setting",
      // A member under since_join reads only seqs above their join_seq (the
      // conversation's last seq when they joined). Members before this version
      // keep 0, so they keep reading what they read before.
      sql: `
ALTER TABLE groups ADD COLUMN history text NOT NULL DEFAULT 'since_join'
  CHECK (history IN ('all', 'since_join'));
ALTER TABLE group_members ADD COLUMN join_seq integer NOT NULL DEFAULT 0;
`,
      sqlite: `
ALTER TABLE groups ADD COLUMN history text NOT NULL DEFAULT 'since_join'
  CHECK (history IN ('all', 'since_join'));
ALTER TABLE group_members ADD COLUMN join_seq integer NOT NULL DEFAULT 0;
`,
    },
    {
      version: 4,
      name: "account settings and last seen",
      // A session gets an id of its own (clients list and end sessions by it; the
      // token hash never leaves the server), when it began, when it was last used
      // and the user agent that signed in. Sessions from before this version are
      // numbered 1, 2, 3… (new ones get snowflakes, far above) and dated now. A
      // user gets when their last connection closed (null: never) and when the
      // account was deleted (null: it was not).
      sql: `
ALTER TABLE users ADD COLUMN last_seen_at bigint;
ALTER TABLE users ADD COLUMN deleted_at bigint;
ALTER TABLE sessions ADD COLUMN id bigint NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN created_at bigint NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN last_seen_at bigint NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN user_agent text NOT NULL DEFAULT '';
UPDATE sessions s SET id = n.rn,
    created_at = (extract(epoch FROM now()) * 1000)::bigint,
    last_seen_at = (extract(epoch FROM now()) * 1000)::bigint
  FROM (SELECT token_hash, row_number() OVER (ORDER BY user_id, expires_at, token_hash) AS rn
        FROM sessions) n
  WHERE n.token_hash = s.token_hash;
ALTER TABLE sessions ALTER COLUMN id DROP DEFAULT;
CREATE UNIQUE INDEX sessions_id ON sessions (id);
`,
      sqlite: `
ALTER TABLE users ADD COLUMN last_seen_at bigint;
ALTER TABLE users ADD COLUMN deleted_at bigint;
ALTER TABLE sessions ADD COLUMN id bigint NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN created_at bigint NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN last_seen_at bigint NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN user_agent text NOT NULL DEFAULT '';
UPDATE sessions SET id = rowid,
  created_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000,
  last_seen_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000;
CREATE UNIQUE INDEX sessions_id ON sessions (id);
`,
    },
    {
      version: 5,
      name: "messages version 2",
      // A message gets its kind: `message` (a user's message: counts in unread,
      // may be a conversation's last message) or `update` (an edit or recall
      // entry: neither); the message it answers (`reply_to_id`, in the same
      // conversation; the preview is made on read, so it follows edits and
      // recalls) and when its text was last edited. Entries the server makes
      // have no client message id. A mention is a row keyed for the summary's
      // lookup (a user's mentions in a conversation after their read mark), user
      // 0 standing for everyone (`mentionAll`), with the sender so that one's own
      // message never mentions oneself. Read marks are listed by conversation;
      // a file keeps its name; an image or file message has media of its own
      // (`message_id`: a copy of the upload it names, sharing its bytes), which
      // its recall deletes, with the blob when no other media shares it, found
      // by sha256. Messages from before are plain messages, neither
      // replies nor edited; the upload an old image or file message shows is its
      // own when nothing else shows it (a recall deletes it), else it stays.
      sql: `
ALTER TABLE messages ADD COLUMN kind text NOT NULL DEFAULT 'message';
ALTER TABLE messages ADD COLUMN reply_to_id bigint;
ALTER TABLE messages ADD COLUMN edited_at bigint;
ALTER TABLE messages ALTER COLUMN client_msg_id DROP NOT NULL;

CREATE TABLE mentions (
  user_id bigint NOT NULL,
  conversation_id text NOT NULL,
  seq integer NOT NULL,
  sender_id bigint NOT NULL,
  PRIMARY KEY (user_id, conversation_id, seq)
);

CREATE INDEX read_marks_conversation ON read_marks (conversation_id);

ALTER TABLE media ADD COLUMN name text;
ALTER TABLE media ADD COLUMN message_id bigint;
CREATE INDEX media_sha256 ON media (sha256);

-- An upload only one message of its uploader shows, and no avatar, becomes that
-- message's own media, which its recall deletes; shared ones stay.
UPDATE media SET message_id = o.id
FROM (
  SELECT (content::jsonb ->> 'mediaId') AS media_id, min(id) AS id, min(sender_id) AS sender_id, count(*) AS n
  FROM messages WHERE content LIKE '{"type":"image"%' OR content LIKE '{"type":"file"%'
  GROUP BY (content::jsonb ->> 'mediaId')
) o
WHERE o.media_id = media.id AND o.n = 1 AND o.sender_id = media.owner_id
  AND NOT EXISTS (SELECT 1 FROM users u WHERE u.avatar_media_id = media.id)
  AND NOT EXISTS (SELECT 1 FROM groups g WHERE g.avatar_media_id = media.id);
`,
      // SQLite cannot drop a NOT NULL: the messages table is rebuilt (a copy of
      // every row, once), its columns and index as they were plus the new ones.
      sqlite: `
CREATE TABLE messages_v5 (
  id INTEGER PRIMARY KEY,
  conversation_id text NOT NULL,
  seq integer NOT NULL,
  sender_id bigint NOT NULL,
  target_type text NOT NULL,
  target_id bigint NOT NULL,
  content text NOT NULL,
  sent_at bigint NOT NULL,
  client_msg_id text,
  kind text NOT NULL DEFAULT 'message',
  reply_to_id bigint,
  edited_at bigint,
  UNIQUE (conversation_id, seq)
);
INSERT INTO messages_v5 (id, conversation_id, seq, sender_id, target_type, target_id, content, sent_at, client_msg_id)
  SELECT id, conversation_id, seq, sender_id, target_type, target_id, content, sent_at, client_msg_id
  FROM messages;
DROP TABLE messages;
ALTER TABLE messages_v5 RENAME TO messages;
CREATE INDEX messages_client_id ON messages (sender_id, client_msg_id);

CREATE TABLE mentions (
  user_id bigint NOT NULL,
  conversation_id text NOT NULL,
  seq integer NOT NULL,
  sender_id bigint NOT NULL,
  PRIMARY KEY (user_id, conversation_id, seq)
) WITHOUT ROWID;

CREATE INDEX read_marks_conversation ON read_marks (conversation_id);

ALTER TABLE media ADD COLUMN name text;
ALTER TABLE media ADD COLUMN message_id bigint;
CREATE INDEX media_sha256 ON media (sha256);

-- An upload only one message of its uploader shows, and no avatar, becomes that
-- message's own media, which its recall deletes; shared ones stay.
UPDATE media SET message_id = o.id
FROM (
  SELECT json_extract(content, '$.mediaId') AS media_id, min(id) AS id, min(sender_id) AS sender_id, count(*) AS n
  FROM messages WHERE content LIKE '{"type":"image"%' OR content LIKE '{"type":"file"%'
  GROUP BY json_extract(content, '$.mediaId')
) o
WHERE o.media_id = media.id AND o.n = 1 AND o.sender_id = media.owner_id
  AND NOT EXISTS (SELECT 1 FROM users u WHERE u.avatar_media_id = media.id)
  AND NOT EXISTS (SELECT 1 FROM groups g WHERE g.avatar_media_id = media.id);
`,
    },
    {
      version: 6,
      name: "group administration and blocks",
      // A group gets its notice (announcement, '' when none), its join policy
      // and whether only its owner and admins may send (`muted`); a member may
      // be an admin, and muted until a time (ms; NULL: not muted). Join
      // requests are pending only (a decision deletes them): one per user and
      // group, listed by group through the unique key. A block is a row from
      // the blocker to the blocked user, found from either side. Messages get
      // a third kind, `system` (a change of a group, made by the server): it
      // counts in the activity order and may be a conversation's last message,
      // never in unread; the kind column takes it unchanged.
      sql: `
ALTER TABLE groups ADD COLUMN notice text NOT NULL DEFAULT '';
ALTER TABLE groups ADD COLUMN join_policy text NOT NULL DEFAULT 'open'
  CHECK (join_policy IN ('open', 'approval', 'invite'));
ALTER TABLE groups ADD COLUMN muted boolean NOT NULL DEFAULT false;

ALTER TABLE group_members ADD COLUMN muted_until bigint;
ALTER TABLE group_members DROP CONSTRAINT group_members_role_check;
ALTER TABLE group_members ADD CONSTRAINT group_members_role_check
  CHECK (role IN ('owner', 'admin', 'member'));

CREATE TABLE group_join_requests (
  id bigint PRIMARY KEY,
  group_id bigint NOT NULL REFERENCES groups (id),
  user_id bigint NOT NULL REFERENCES users (id),
  created_at bigint NOT NULL,
  UNIQUE (group_id, user_id)
);

CREATE TABLE blocks (
  user_id bigint NOT NULL REFERENCES users (id),
  blocked_id bigint NOT NULL REFERENCES users (id),
  created_at bigint NOT NULL,
  PRIMARY KEY (user_id, blocked_id)
);
CREATE INDEX blocks_blocked ON blocks (blocked_id);
`,
      // SQLite cannot change a CHECK: group_members is rebuilt (a copy of every
      // row, once), its columns and index as they were plus muted_until.
      sqlite: `
ALTER TABLE groups ADD COLUMN notice text NOT NULL DEFAULT '';
ALTER TABLE groups ADD COLUMN join_policy text NOT NULL DEFAULT 'open'
  CHECK (join_policy IN ('open', 'approval', 'invite'));
ALTER TABLE groups ADD COLUMN muted boolean NOT NULL DEFAULT false;

CREATE TABLE group_members_v6 (
  group_id bigint NOT NULL REFERENCES groups (id),
  user_id bigint NOT NULL REFERENCES users (id),
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  joined_at bigint NOT NULL,
  join_seq integer NOT NULL DEFAULT 0,
  muted_until bigint,
  PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
INSERT INTO group_members_v6 (group_id, user_id, role, joined_at, join_seq)
  SELECT group_id, user_id, role, joined_at, join_seq FROM group_members;
DROP TABLE group_members;
ALTER TABLE group_members_v6 RENAME TO group_members;
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE group_join_requests (
  id INTEGER PRIMARY KEY,
  group_id bigint NOT NULL REFERENCES groups (id),
  user_id bigint NOT NULL REFERENCES users (id),
  created_at bigint NOT NULL,
  UNIQUE (group_id, user_id)
);

CREATE TABLE blocks (
  user_id bigint NOT NULL REFERENCES users (id),
  blocked_id bigint NOT NULL REFERENCES users (id),
  created_at bigint NOT NULL,
  PRIMARY KEY (user_id, blocked_id)
) WITHOUT ROWID;
CREATE INDEX blocks_blocked ON blocks (blocked_id);
`,
    },
    {
      version: 7,
      name: "conversation settings and message search",
      // A user's settings of a conversation: pinned, muted, and hidden while no
      // user's message came after `hidden_seq` (the conversation's last seq when
      // it was hidden; NULL: not hidden). The search index (shared/search_text.ts)
      // holds a row per text message the store indexed, keyed by message id:
      // the conversation's id and the message's bigrams with their positions, which
      // the store computes (no SQL function can). The send path does not write
      // it: a save queues each new text message's id in `search_pending` (an
      // edit queues its target again), which a background runner indexes in
      // larger batches. Nor can a migration index the messages already stored: `search_backlog.below` records which ids are
      // older than the index (every id below it is indexed by
      // `MessageStore.indexBacklog`, newest first, lowering it as it goes).
      // `stale`: a store opened with the index off saved messages it did not
      // index; the next open with the index on empties the index and backlogs all.
      sql: `
CREATE TABLE conversation_settings (
  user_id bigint NOT NULL,
  conversation_id text NOT NULL,
  pinned boolean NOT NULL DEFAULT false,
  muted boolean NOT NULL DEFAULT false,
  hidden_seq integer,
  PRIMARY KEY (user_id, conversation_id)
);

CREATE TABLE message_search (
  id bigint PRIMARY KEY,
  conversation_id text NOT NULL,
  grams tsvector NOT NULL
);
CREATE INDEX message_search_grams ON message_search USING gin (grams);
CREATE INDEX message_search_conversation ON message_search (conversation_id);

CREATE TABLE search_pending (id bigint PRIMARY KEY);

CREATE TABLE search_backlog (
  below bigint NOT NULL,
  stale boolean NOT NULL DEFAULT false
);
INSERT INTO search_backlog (below) SELECT coalesce(max(id) + 1, 0) FROM messages;
`,
      // SQLite's full-text index is FTS5, contentless (the text stays in
      // messages alone), its row id the message id; the conversation is a token
      // of its own column, so one MATCH looks up the caller's conversations and
      // the query's bigrams together.
      sqlite: `
CREATE TABLE conversation_settings (
  user_id bigint NOT NULL,
  conversation_id text NOT NULL,
  pinned boolean NOT NULL DEFAULT false,
  muted boolean NOT NULL DEFAULT false,
  hidden_seq integer,
  PRIMARY KEY (user_id, conversation_id)
) WITHOUT ROWID;

CREATE VIRTUAL TABLE message_search USING fts5(
  conv, grams, content='', contentless_delete=1, tokenize='ascii'
);

CREATE TABLE search_pending (id INTEGER PRIMARY KEY);

CREATE TABLE search_backlog (
  below bigint NOT NULL,
  stale boolean NOT NULL DEFAULT false
);
INSERT INTO search_backlog (below) SELECT coalesce(max(id) + 1, 0) FROM messages;
`,
    },
    {
      version: 8,
      name: "disabled accounts and the admin audit log",
      // An account an operator disabled (`deno task admin disable`) keeps its
      // row, friends and messages but cannot sign in: `disabled_at` (NULL: it is
      // not) and the operator's reason. `admin_actions` is the audit log of the
      // admin tool and its queue at once: the tool writes an action `pending`
      // with who asked (`actor`), what and on whom; a server applies it and
      // writes `done` or `failed` with its result (JSON), when and which
      // process. A server claims an action by writing `applied_by` and
      // `applied_at` while it is still pending (a claim older than a few
      // seconds was a server that died: another takes it over). The pending
      // ones are polled every second through their own partial index.
      sql: `
ALTER TABLE users ADD COLUMN disabled_at bigint;
ALTER TABLE users ADD COLUMN disabled_reason text;

CREATE TABLE admin_actions (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  at bigint NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  target text NOT NULL,
  args text NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
  result text,
  applied_at bigint,
  applied_by text
);
CREATE INDEX admin_actions_pending ON admin_actions (id) WHERE status = 'pending';
`,
      sqlite: `
ALTER TABLE users ADD COLUMN disabled_at bigint;
ALTER TABLE users ADD COLUMN disabled_reason text;

CREATE TABLE admin_actions (
  id INTEGER PRIMARY KEY,
  at bigint NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  target text NOT NULL,
  args text NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
  result text,
  applied_at bigint,
  applied_by text
);
CREATE INDEX admin_actions_pending ON admin_actions (id) WHERE status = 'pending';
`,
    },
  ];
