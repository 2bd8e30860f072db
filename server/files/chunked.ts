import { randomBytes } from "node:crypto";
import { canonicalAad, DecryptError, gcmOpen, gcmSeal, IV_BYTES, KEY_ID_BYTES, TAG_BYTES, type SymmetricKey } from "../crypto/envelope";

/**
 * Chunked authenticated encryption for files (attachments), built on the same AES-256-GCM as
 * envelope.ts so that neither side ever holds a whole file in memory.
 *
 * Blob layout, version 1 (offsets in bytes):
 *
 *   0    2   magic "OF" (0x4f 0x46: opslayer file)
 *   2    1   version = 0x01
 *   3    8   key id of the organisation's data key (as in envelope.ts)
 *   11   4   chunk size C, unsigned big-endian (65,536)
 *   15   …   records, one per chunk of plaintext:
 *              IV (12, fresh from the CSPRNG) ‖ ciphertext (C bytes; the last chunk 0…C) ‖ tag (16)
 *
 * Every chunk is its own GCM message. Its AAD is the 15-byte header followed by the canonical
 * envelope context { org, table: "attachments", row: <attachment id>, field }, where field is
 * `chunk:<n>` (n = 0, 1, …) for every chunk but the last and `chunk:<n>:last` for the last one.
 * There is always a last chunk (an empty file is one empty last chunk), so:
 * - editing any byte (header, IV, ciphertext, tag) fails that chunk's tag;
 * - swapping or moving records fails (n is bound), as does copying a blob to another row or org;
 * - cutting the blob at a record boundary fails (the new last record was sealed as not last), and so
 *   does appending records (the old last record is then opened as not last).
 * A reader emits a chunk's plaintext only after its tag verified, and stops at the first failure.
 */

export const FILE_MAGIC = Buffer.from([0x4f, 0x46]);
export const FILE_VERSION = 0x01;
export const CHUNK_BYTES = 64 * 1024;
export const FILE_HEADER_BYTES = FILE_MAGIC.length + 1 + KEY_ID_BYTES + 4;
const RECORD_OVERHEAD = IV_BYTES + TAG_BYTES;

export interface FileAad {
  org: string;
  /** The attachment id. */
  row: string;
}

function chunkAad(header: Buffer, aad: FileAad, index: number, last: boolean) {
  const field = last ? `chunk:${index}:last` : `chunk:${index}`;
  return Buffer.concat([header, canonicalAad({ org: aad.org, table: "attachments", row: aad.row, field })]);
}

/**
 * Seals a stream of plaintext into records. Feed it with `push` (any piece sizes) and close with
 * `finish`; both return the bytes to append to the blob. It holds at most one chunk of plaintext.
 */
export class ChunkSealer {
  readonly header: Buffer;
  #buf: Buffer;
  #fill = 0;
  #index = 0;
  #done = false;

  constructor(
    private key: SymmetricKey,
    private aad: FileAad,
    private chunkBytes = CHUNK_BYTES,
  ) {
    const size = Buffer.alloc(4);
    size.writeUInt32BE(chunkBytes);
    this.header = Buffer.concat([FILE_MAGIC, Buffer.from([FILE_VERSION]), key.id, size]);
    this.#buf = Buffer.alloc(chunkBytes);
  }

  #seal(plain: Buffer, last: boolean): Buffer {
    const iv = randomBytes(IV_BYTES);
    const { ciphertext, tag } = gcmSeal(this.key.key, iv, plain, chunkAad(this.header, this.aad, this.#index++, last));
    return Buffer.concat([iv, ciphertext, tag]);
  }

  push(piece: Buffer): Buffer[] {
    if (this.#done) throw new Error("sealer already finished");
    const out: Buffer[] = [];
    let at = 0;
    while (at < piece.length) {
      // A full chunk is sealed only once more data shows it is not the last one.
      if (this.#fill === this.chunkBytes) {
        out.push(this.#seal(this.#buf, false));
        this.#fill = 0;
      }
      const n = Math.min(this.chunkBytes - this.#fill, piece.length - at);
      piece.copy(this.#buf, this.#fill, at, at + n);
      this.#fill += n;
      at += n;
    }
    return out;
  }

  finish(): Buffer[] {
    if (this.#done) throw new Error("sealer already finished");
    this.#done = true;
    return [this.#seal(this.#buf.subarray(0, this.#fill), true)];
  }
}

/** Blob size for a plaintext of `size` bytes (header plus one record per chunk, at least one). */
export function sealedSize(size: number, chunkBytes = CHUNK_BYTES) {
  const chunks = Math.max(1, Math.ceil(size / chunkBytes));
  return FILE_HEADER_BYTES + size + chunks * RECORD_OVERHEAD;
}

/**
 * Opens a blob streamed in any piece sizes, yielding verified plaintext chunk by chunk. Throws
 * `DecryptError` on the first bad header, key, record, order or length; holds at most two records.
 */
export async function* openChunks(source: AsyncIterable<Buffer>, key: SymmetricKey, aad: FileAad): AsyncGenerator<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  let header: Buffer | null = null;
  let record = 0;
  let index = 0;
  const open = (rec: Buffer, last: boolean) => {
    const iv = rec.subarray(0, IV_BYTES);
    const ciphertext = rec.subarray(IV_BYTES, rec.length - TAG_BYTES);
    const tag = rec.subarray(rec.length - TAG_BYTES);
    return gcmOpen(key.key, iv, ciphertext, tag, chunkAad(header!, aad, index++, last));
  };
  for await (const piece of source) {
    pending = pending.length ? Buffer.concat([pending, piece]) : piece;
    if (!header) {
      if (pending.length < FILE_HEADER_BYTES) continue;
      header = Buffer.from(pending.subarray(0, FILE_HEADER_BYTES));
      pending = pending.subarray(FILE_HEADER_BYTES);
      if (!header.subarray(0, 2).equals(FILE_MAGIC)) throw new DecryptError("malformed", "not an opslayer file blob");
      if (header[2] !== FILE_VERSION) throw new DecryptError("version", `unknown file blob version ${header[2]}`);
      if (!header.subarray(3, 3 + KEY_ID_BYTES).equals(key.id)) throw new DecryptError("key", "sealed with a different key");
      const chunkBytes = header.readUInt32BE(3 + KEY_ID_BYTES);
      if (chunkBytes < 1 || chunkBytes > 16 * 1024 * 1024) throw new DecryptError("malformed", "bad chunk size");
      record = chunkBytes + RECORD_OVERHEAD;
    }
    // A record is known not to be the last only when more bytes follow it.
    while (pending.length > record) {
      yield open(pending.subarray(0, record), false);
      pending = pending.subarray(record);
    }
  }
  if (!header) throw new DecryptError("malformed", "file blob too short");
  if (pending.length < RECORD_OVERHEAD || pending.length > record) throw new DecryptError("malformed", "file blob truncated");
  yield open(pending, true);
}
