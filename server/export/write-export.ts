import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { link, unlink } from "node:fs/promises";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import Database from "better-sqlite3";
import yazl from "yazl";
import { tenantMigrations } from "../../db/tenant/migrations";
import { assertTenantId, tenantFilePath } from "../../db/tenant/paths";
import { openBlob } from "../files/storage";
import type { Services } from "../services";
import {
  attachmentPath,
  columnsOf,
  FORMAT_VERSION,
  issuesText,
  MANIFEST_PATH,
  MAX_LINE_BYTES,
  NULLED_COLUMNS,
  TABLE_NAMES,
  tablePath,
  TABLES,
  type Manifest,
  type ManifestFile,
  type TableName,
} from "./format";

export type Progress = (done: number, total: number) => void;

export interface ExportResult {
  bytes: number;
  sha256: string;
  counts: Record<string, number>;
  manifest: Manifest;
}

/** Raised when the export cannot be written; the message is for the person who asked for it. */
export class ExportError extends Error {
  override name = "ExportError";
}

/** Something appeared at the output path while the export ran; it is left as it is. */
export class ExportExistsError extends ExportError {
  override name = "ExportExistsError";
}

function appVersion(): string {
  try {
    return String(createRequire(import.meta.url)("../../package.json").version);
  } catch {
    return "unknown";
  }
}

/** Tables every tenant file has that are bookkeeping, not the organisation's data. */
const NOT_DATA = /^(sqlite_|kysely_migration)/;

/** Rows are batched into pieces of about this many characters before they go to the ZIP. */
const PIECE_CHARS = 64 * 1024;

/**
 * Writes the ZIP export of one organisation to `outFile` (via a temporary file beside it, linked
 * into place when complete, so a reader never sees half an archive and an existing file is never
 * replaced).
 *
 * Consistency: the rows are read through a separate read-only connection inside one read
 * transaction, so every table comes from the same snapshot (WAL lets writers go on meanwhile) and
 * the organisation's own handle is never held. Memory: rows are streamed from a cursor and
 * attachments chunk by chunk from their blobs; only the attachment list is held whole.
 *
 * Every row is checked against the schema the importer enforces: an export that cannot be imported
 * fails here, naming the row, instead of being handed out.
 */
export async function writeOrgExport(
  services: Services,
  tenantId: string,
  outFile: string,
  onProgress: Progress = () => {},
): Promise<ExportResult> {
  assertTenantId(tenantId);
  const tenant = await services.control
    .selectFrom("tenants")
    .select(["id", "slug", "name", "status"])
    .where("id", "=", tenantId)
    .executeTakeFirst();
  if (!tenant || tenant.status !== "active") throw new ExportError("The organisation does not exist or is not active.");
  const key = await services.keys.dataKeyFor(tenantId);
  const db = await openMigrated(services, tenantId);
  const tmp = join(dirname(outFile), `.${basename(outFile)}.${randomBytes(4).toString("hex")}.tmp`);
  // Every source stream handed to yazl: when the output fails, yazl stops reading them and never
  // ends them, so they are destroyed here, which returns their generators and closes the cursors.
  const sources: Readable[] = [];
  let stopped = false;
  try {
    db.exec("BEGIN");
    // The snapshot is taken by the first read; everything below reads the same one.
    const migration = migrationOf(db) ?? "";
    checkTables(db);
    const counts: Record<string, number> = {};
    for (const table of TABLE_NAMES) counts[table] = db.prepare(`select count(*) from "${table}"`).pluck().get() as number;
    const attachments = db.prepare("select id, name, size, blob_name from attachments order by id").all() as {
      id: string;
      name: string;
      size: number;
      blob_name: string;
    }[];
    counts.attachment_files = attachments.length;
    const total = TABLE_NAMES.reduce((n, t) => n + counts[t]!, 0) + attachments.length;
    let done = 0;
    onProgress(0, total);

    const exportedAt = services.clock.now();
    const files: ManifestFile[] = [];
    const zip = new yazl.ZipFile();
    const mtime = new Date(exportedAt);
    // Set by the callbacks below, which TypeScript's narrowing does not follow (it would say `null`).
    let failure = null as Error | null;
    const hash = createHash("sha256");
    let bytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        bytes += chunk.length;
        cb(null, chunk);
      },
    });
    // yazl does not forward errors of the streams it reads: each one stops the whole archive here.
    const fail = (error: Error) => {
      if (failure) return;
      failure = error;
      counter.destroy(error);
    };
    zip.on("error", fail);
    zip.outputStream.on("error", () => {});
    const lazy = (path: string, compress: boolean, source: () => Generator<Buffer | string> | AsyncGenerator<Buffer | string>) =>
      zip.addReadStreamLazy(path, { mtime, mode: 0o100600, compress }, (cb) => {
        if (stopped) return cb(new ExportError("The export was stopped."), null as unknown as Readable);
        const stream = Readable.from(source());
        sources.push(stream);
        stream.on("error", fail);
        cb(null, stream);
      });

    for (const table of TABLE_NAMES) {
      const path = tablePath(table);
      lazy(path, true, function* () {
        const h = createHash("sha256");
        let size = 0;
        let rows = 0;
        let piece = "[";
        const flush = () => {
          const out = Buffer.from(piece, "utf8");
          h.update(out);
          size += out.length;
          piece = "";
          return out;
        };
        for (const raw of rowsOf(db, table)) {
          piece += `${rows === 0 ? "" : ","}\n${rowLine(table, raw, rows + 1)}`;
          rows++;
          if (piece.length >= PIECE_CHARS) yield flush();
          if (++done % 500 === 0) onProgress(done, total);
        }
        piece += rows === 0 ? "]\n" : "\n]\n";
        yield flush();
        onProgress(done, total);
        files.push({ path, kind: "table", rows, bytes: size, sha256: h.digest("hex") });
      });
    }
    for (const a of attachments) {
      const path = attachmentPath(a.id, a.name);
      lazy(path, false, async function* () {
        const h = createHash("sha256");
        let size = 0;
        const { stream, chunks } = openBlob(services.config.dataDir, tenantId, a.blob_name, key, { org: tenantId, row: a.id });
        try {
          for await (const chunk of chunks) {
            h.update(chunk);
            size += chunk.length;
            yield chunk;
          }
        } catch (error) {
          const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
          throw new ExportError(
            missing
              ? `The file "${a.name}" was deleted while the export ran; start the export again.`
              : `The stored file "${a.name}" (${a.id}) cannot be decrypted: ${(error as Error).message}`,
          );
        } finally {
          stream.destroy();
        }
        if (size !== a.size)
          throw new ExportError(`The stored file "${a.name}" (${a.id}) has ${size} bytes where ${a.size} were recorded.`);
        files.push({ path, kind: "attachment", attachment_id: a.id, bytes: size, sha256: h.digest("hex") });
        onProgress(++done, total);
      });
    }
    let manifest: Manifest | null = null;
    // Last, so it can list what was actually written.
    lazy(MANIFEST_PATH, true, function* () {
      manifest = {
        format: FORMAT_VERSION,
        app_version: appVersion(),
        exported_at: exportedAt,
        org: { id: tenant.id, slug: tenant.slug, name: tenant.name },
        schema_migration: migration,
        counts,
        files,
      };
      yield Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, "utf8");
    });
    zip.end();
    await pipeline(zip.outputStream, counter, createWriteStream(tmp, { flags: "wx", mode: 0o600 }));
    if (failure) throw failure;
    await publish(tmp, outFile);
    return { bytes, sha256: hash.digest("hex"), counts, manifest: manifest! };
  } finally {
    // Nothing here may throw over the error being reported: it is the one the person needs.
    stopped = true;
    await Promise.all(sources.map(closed));
    try {
      if (db.inTransaction) db.exec("ROLLBACK");
    } catch {
      // A read transaction holds nothing that closing the connection does not release too.
    } finally {
      db.close();
    }
    // After success the archive is linked at outFile; after a failure this is the partial file.
    await unlink(tmp).catch(() => {});
  }
}

/** Destroys a source stream and waits until its generator has returned (its cursor or blob closed). */
function closed(stream: Readable): Promise<void> {
  if (stream.closed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once("close", () => resolve());
    stream.destroy();
  });
}

/** link() fails when outFile exists, where rename() would replace whatever appeared there meanwhile. */
async function publish(tmp: string, outFile: string) {
  try {
    await link(tmp, outFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") throw new ExportExistsError(`${outFile} exists; it was left as it is.`);
    throw error;
  }
}

/** A row as one line of its table file, or an ExportError when the importer would refuse it. */
function rowLine(table: TableName, row: Record<string, unknown>, n: number): string {
  const which = () => `${table} row ${n} (${TABLES[table].key.map((c) => `${c} ${JSON.stringify(row[c])}`).join(", ")})`;
  const parsed = TABLES[table].row.safeParse(row);
  if (!parsed.success)
    throw new ExportError(`The export cannot be written: ${which()} does not match the export format (${issuesText(parsed.error)}).`);
  const line = JSON.stringify(row);
  // +1: the comma that follows every row but the last.
  if (line.length * 3 + 1 > MAX_LINE_BYTES && Buffer.byteLength(line) + 1 > MAX_LINE_BYTES) {
    throw new ExportError(`The export cannot be written: ${which()} is larger than an import reads (${MAX_LINE_BYTES / 1024 / 1024} MiB).`);
  }
  return line;
}

const LATEST_MIGRATION = Object.keys(tenantMigrations).sort().at(-1)!;

function openReadOnly(services: Services, tenantId: string) {
  const db = new Database(tenantFilePath(services.config.dataDir, tenantId), { readonly: true, fileMustExist: true });
  db.pragma("busy_timeout = 5000");
  return db;
}

const migrationOf = (db: Database.Database) => db.prepare("select max(name) from kysely_migration").pluck().get() as string | null;

/**
 * A read-only connection to the tenant file, at the latest migration (the row shapes are the
 * latest). Only a file that is behind is opened through the pool, whose first open migrates it: an
 * export never holds, and normally never opens, the organisation's shared handle.
 */
async function openMigrated(services: Services, tenantId: string) {
  const db = openReadOnly(services, tenantId);
  if (migrationOf(db) === LATEST_MIGRATION) return db;
  db.close();
  (await services.pool.acquire(tenantId)).release();
  return openReadOnly(services, tenantId);
}

/**
 * Refuses to export a file whose tables no longer match the format: a table or column the format
 * does not know would otherwise be left out of every export without anyone noticing.
 */
function checkTables(db: Database.Database) {
  const tables = (db.prepare("select name from sqlite_master where type = 'table' order by name").pluck().all() as string[]).filter(
    (t) => !NOT_DATA.test(t),
  );
  const unknown = tables.filter((t) => !(TABLE_NAMES as string[]).includes(t));
  const missing = TABLE_NAMES.filter((t) => !tables.includes(t));
  if (unknown.length || missing.length) {
    throw new ExportError(
      `The export format ${FORMAT_VERSION} does not match this organisation's tables (unknown: ${unknown.join(", ") || "none"}; missing: ${missing.join(", ") || "none"}).`,
    );
  }
  for (const table of TABLE_NAMES) {
    const actual = (db.prepare(`select name from pragma_table_info(?)`).pluck().all(table) as string[]).sort();
    const expected = columnsOf(table).sort();
    if (actual.join() !== expected.join()) {
      throw new ExportError(`The export format ${FORMAT_VERSION} does not match the columns of ${table} (${actual.join(", ")}).`);
    }
  }
}

/** One table's rows in primary-key order, keys in the format's order, unexported columns null. */
function* rowsOf(db: Database.Database, table: TableName): Generator<Record<string, unknown>> {
  const columns = columnsOf(table);
  const nulled = new Set(NULLED_COLUMNS[table] ?? []);
  const select = columns.map((c) => (nulled.has(c) ? `null as "${c}"` : `"${c}"`)).join(", ");
  // `is null` first: SQLite already sorts nulls first, said explicitly so the order is the format's.
  const order = TABLES[table].key.map((c) => `"${c}" is not null, "${c}"`).join(", ");
  yield* db.prepare(`select ${select} from "${table}" order by ${order}`).iterate() as Iterable<Record<string, unknown>>;
}
