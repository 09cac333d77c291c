/** SHA-256 as lowercase hex: the stored form of bearer tokens (never stored themselves) and media content keys. */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The stored form of a bearer token. */
export function hashToken(token: string): Promise<string> {
  return sha256Hex(token);
}
