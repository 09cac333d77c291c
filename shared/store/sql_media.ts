/** The media port on SQL: metadata by id, bytes once per content. */
import type { SqlDriver } from "./driver.ts";
import type { MediaRow, MediaStore } from "./mod.ts";

type MediaDbRow = {
  id: string;
  sha256: string;
  content_type: string;
  size: number;
  width: number | null;
  height: number | null;
  owner_id: string;
  created_at: string;
  name: string | null;
};

function toMedia(row: MediaDbRow): MediaRow {
  const media: MediaRow = {
    id: row.id,
    sha256: row.sha256,
    contentType: row.content_type,
    size: Number(row.size),
    width: row.width === null ? null : Number(row.width),
    height: row.height === null ? null : Number(row.height),
    ownerId: String(row.owner_id),
    createdAt: Number(row.created_at),
  };
  if (row.name !== null) media.name = row.name;
  return media;
}

/** Media over an SQL driver whose failures are already AppErrors. */
export class SqlMediaStore implements MediaStore {
  readonly #db: SqlDriver;

  constructor(db: SqlDriver) {
    this.#db = db;
  }

  put(row: MediaRow, bytes: Uint8Array): Promise<void> {
    return this.#db.transaction(async (tx) => {
      await tx.query(
        "INSERT INTO media_blobs (sha256, bytes) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        [row.sha256, bytes],
      );
      await tx.query(
        `INSERT INTO media (id, sha256, content_type, size, width, height, owner_id, created_at, name)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          row.id,
          row.sha256,
          row.contentType,
          row.size,
          row.width,
          row.height,
          row.ownerId,
          row.createdAt,
          row.name ?? null,
        ],
      );
    });
  }

  async info(id: string): Promise<MediaRow | null> {
    const rows = await this.#db.query<MediaDbRow>("SELECT * FROM media WHERE id = $1", [id]);
    return rows[0] ? toMedia(rows[0]) : null;
  }

  async withBytes(id: string): Promise<{ info: MediaRow; bytes: Uint8Array } | null> {
    const rows = await this.#db.query<MediaDbRow & { bytes: Uint8Array }>(
      "SELECT m.*, b.bytes FROM media m JOIN media_blobs b ON b.sha256 = m.sha256 WHERE m.id = $1",
      [id],
    );
    return rows[0] ? { info: toMedia(rows[0]), bytes: new Uint8Array(rows[0].bytes) } : null;
  }

  removeOwnedBy(ownerId: string): Promise<number> {
    return this.#db.transaction(async (tx) => {
      const rows = await tx.query<{ id: string; sha256: string }>(
        "DELETE FROM media WHERE owner_id = $1 RETURNING id, sha256",
        [ownerId],
      );
      if (rows.length === 0) return 0;
      const ids = rows.map((r) => r.id);
      await tx.query(
        `DELETE FROM media_blobs WHERE sha256 = ANY($1::text[])
           AND NOT EXISTS (SELECT 1 FROM media m WHERE m.sha256 = media_blobs.sha256)`,
        [[...new Set(rows.map((r) => r.sha256))]],
      );
      for (const table of ["users", "groups"]) {
        await tx.query(
          `UPDATE ${table} SET avatar_media_id = NULL WHERE avatar_media_id = ANY($1::text[])`,
          [ids],
        );
      }
      return rows.length;
    });
  }
}
