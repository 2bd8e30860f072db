import { createHash, randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { createInterface } from "node:readline";
import { pipeline, Transform, type Readable } from "node:stream";
import { sql, type Kysely } from "kysely";
import yauzl from "yauzl";
import { z } from "zod";
import { deleteTenantFile, provisionTenantFile } from "../../db/tenant/provision";
import type { TenantDB } from "../../db/tenant/schema";
import { newId } from "../auth/tokens";
import { sniff, SNIFF_BYTES } from "../files/sniff";
import { blobDir, newBlobName, writeEncryptedBlob } from "../files/storage";
import type { Services } from "../services";
import { slugSchema } from "../trpc/tenant-context";
import { secretAad } from "../webhooks/dispatcher";
import { UNOWNED_REASON } from "../../db/tenant/migrations/0014_webhook_owners";
import { entryProblem } from "../../db/tenant/time/problems";
import {
  attachmentPaths,
  FORMAT_VERSION,
  issuesText,
  MANIFEST_PATH,
  manifestSchema,
  MAX_LINE_BYTES,
  tablesOfVersion,
  tablePath,
  TABLES,
  type Manifest,
  type ManifestFile,
  type TableName,
} from "./format";
import type { Progress } from "./write-export";

/**
 * Imports an organisation export (server/export/format.ts) as a brand-new organisation: new id, new
 * data key, attachments re-encrypted with it.
 *
 * Order: (1) the whole archive is checked first — version, every file's size and SHA-256 against the
 * manifest, this instance's file size and quota limits, every row against its schema, the
 * attachments against their rows and the file types uploads accept — and refused before anything is
 * written; (2) the slug is claimed as `provisioning` with a new data key; (3) the tenant
 * file is made with every row in one transaction, attachments written while it is open; (4) the
 * memberships and `active` are published in one control transaction. A failure at (2)–(4) removes
 * the file, the blobs and the control rows again, as server/tenants/create-tenant.ts does.
 *
 * People: members are matched to this instance's accounts by email; their ids are rewritten
 * wherever the tables name a person, and they get a membership. Members without an account here
 * keep their row (names stay on the history) but have no way in until invited again.
 */

export interface ImportOptions {
  slug: string;
  name?: string;
  /** An existing account here that becomes an owner of the imported organisation. */
  ownerEmail?: string;
}

export interface ImportResult {
  tenantId: string;
  slug: string;
  name: string;
  counts: Record<string, number>;
  /** Members who got a membership (matched by email), and those who did not. */
  matched: string[];
  unmatched: string[];
  /** Webhook deliveries still pending in the export: imported as "skipped" (shown as "Not sent"), never sent from here. */
  deliveriesNotResent: number;
}

export const NOT_RESENT = "not sent: imported from an export; the organisation it came from may have sent it";

/** `archive`: the file is not a valid export (exit 65 on the CLI); `refused`: valid, but cannot go in here. */
export class ImportError extends Error {
  override name = "ImportError";
  constructor(
    message: string,
    readonly kind: "archive" | "refused" = "archive",
  ) {
    super(message);
  }
}

const bad = (message: string) => new ImportError(message, "archive");
const refused = (message: string) => new ImportError(message, "refused");

/** The manifest is read whole, so it has a ceiling. */
const MANIFEST_MAX_BYTES = 64 * 1024 * 1024;
const INSERT_BATCH = 500;

/** Columns that name a person (a member's user id), rewritten to this instance's account ids. */
const PERSON_COLUMNS: Partial<Record<TableName, string[]>> = {
  members: ["user_id"],
  project_shares: ["created_by"],
  tasks: ["created_by"],
  task_assignees: ["user_id"],
  comments: ["author_id"],
  time_entries: ["member_id"],
  member_rates: ["member_id"],
  invoices: ["created_by"],
  payments: ["created_by"],
  server_logs: ["actor_id"],
  attachments: ["uploaded_by"],
  audit_log: ["actor_id"],
  webhooks: ["owner_id"],
  rate_scale_reviews: ["member_id", "resolved_by"],
};

type Row = Record<string, unknown>;

export async function importOrgExport(
  services: Services,
  zipFile: string,
  options: ImportOptions,
  onProgress: Progress = () => {},
): Promise<ImportResult> {
  const slug = slugSchema.safeParse(options.slug);
  if (!slug.success) throw refused(`--slug: ${slug.error.issues[0]?.message ?? "not a valid address"}`);
  // A new organisation file and all its attachments: a large write, refused up front under the watermark.
  services.disk.assertRoomForLargeWrite();
  const zip = await openZip(zipFile);
  try {
    const archive = await readArchive(zip);
    checkLimits(archive, services.config);
    const manifest = archive.manifest;
    const name = options.name?.trim() || manifest.org.name;
    if (name.length > 200) throw refused("--name: use at most 200 characters.");
    const total = 2 * Object.values(manifest.counts).reduce((n, v) => n + v, 0);
    let done = 0;
    const tick = (n = 1) => {
      done += n;
      if (done % 500 === 0 || n > 1) onProgress(done, total);
    };
    onProgress(0, total);

    // (1) Everything is checked before anything is written.
    const members: Row[] = [];
    const attachments = new Map<string, Row>();
    for (const table of archive.tables) {
      await readTable(zip, archive, table, (row) => {
        if (table === "members") members.push(row);
        if (table === "attachments") attachments.set(row.id as string, row);
        tick();
      });
    }
    checkAttachmentFiles(archive, attachments);
    for (const file of archive.attachments) {
      await checkAttachment(zip, archive, file, attachments.get(file.attachment_id!)!.name as string);
      tick();
    }
    const people = await matchPeople(services, members, options.ownerEmail);
    const ownerId = people.ownerId;

    // (2) The slug, with a new data key.
    const { control, config, clock } = services;
    const tenantId = newId("t");
    const now = clock.now();
    let deliveriesNotResent = 0;
    try {
      await control
        .insertInto("tenants")
        .values({
          id: tenantId,
          slug: slug.data,
          name,
          status: "provisioning",
          plan: "standard",
          features: "{}",
          file_name: `${tenantId}.sqlite`,
          wrapped_key: services.keys.createDataKey(tenantId),
          created_by: ownerId,
          created_at: now,
        })
        .execute();
    } catch (error) {
      if ((error as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE")
        throw refused(`The address "${slug.data}" is taken; choose another --slug.`);
      throw error;
    }
    try {
      const key = await services.keys.dataKeyFor(tenantId);
      // (3) Every row in one transaction; blobs are written while it is open and removed if it fails.
      await provisionTenantFile(config.dataDir, tenantId, config.synchronous, async (db) => {
        // Rows the migrations seed into every new file; the archive brings its own.
        await sql`delete from workflow_statuses`.execute(db);
        await sql`delete from org_settings`.execute(db);
        const invoices: { id: string; status: string; number: string | null }[] = [];
        deliveriesNotResent = 0;
        for (const table of archive.tables) {
          if (table === "payments") await promoteInvoices(db, invoices);
          let batch: Row[] = [];
          const flush = async () => {
            if (batch.length)
              await db
                // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a table chosen at run time; its rows were checked against the format's schema as they were read
                .insertInto(table as any)
                .values(batch)
                .execute();
            batch = [];
          };
          let ownerListed = false;
          await readTable(zip, archive, table, async (original) => {
            const row = remapPeople(table, original, people.ids);
            if (table === "invoices") {
              // Issued invoices freeze their lines and accept payments only while issued (migration
              // 0005's triggers): each goes in as a draft, and becomes what it was once its lines
              // and payments are in.
              invoices.push({ id: row.id as string, status: row.status as string, number: row.number as string | null });
              row.status = "draft";
              row.number = null;
            }
            // The file refuses an unflagged entry that does not end after it starts (migration 0017).
            // Worked out from the times, never taken from the archive: a crafted flag would let a bad row past the file's rule.
            if (table === "time_entries") row.problem = entryProblem(row);
            if (table === "connected_services" || table === "servers") row.secret = Buffer.alloc(0);
            if (table === "webhooks") {
              // The old signing secret was sealed for the old organisation and is not exported; a
              // fresh one is sealed here and the webhook paused until the owner rotates and resumes it.
              row.secret = await services.keys.seal(
                secretAad(tenantId, row.id as string),
                `whsec_${randomBytes(32).toString("base64url")}`,
              );
              row.active = 0;
              row.paused_reason ??= row.owner_id ? null : UNOWNED_REASON;
            }
            if (table === "webhook_deliveries" && row.status === "pending") {
              // The organisation it came from may have sent it after the export was taken, or may
              // still send it; a receiver must never get an event twice because of a move.
              row.status = "skipped";
              row.next_attempt_at = null;
              row.last_error = NOT_RESENT;
              deliveriesNotResent++;
            }
            if (table === "attachments") {
              const stored = await storeAttachment(services, zip, archive, tenantId, key, row);
              row.blob_name = stored.blobName;
              row.content_type = stored.contentType;
              tick();
            }
            if (table === "members" && row.user_id === ownerId) {
              row.role = "owner";
              ownerListed = true;
            }
            batch.push(row);
            if (batch.length >= INSERT_BATCH) await flush();
            tick();
          });
          await flush();
          if (table === "members" && !ownerListed) {
            await db
              .insertInto("members")
              .values({ user_id: ownerId, role: "owner", name: people.ownerName, email: people.ownerEmail, joined_at: now })
              .execute();
          }
          if (table === "payments") await finishInvoices(db, invoices);
        }
        await db
          .insertInto("audit_log")
          .values({
            at: now,
            actor_kind: "system",
            actor_id: null,
            ip: null,
            user_agent: null,
            action: "org.import",
            target_type: "org",
            target_id: tenantId,
            detail: JSON.stringify({
              from: manifest.org,
              exported_at: manifest.exported_at,
              format: manifest.format,
              app_version: manifest.app_version,
              slug: slug.data,
              name,
            }),
          })
          .execute();
      });
      // (4) Publish.
      await control.transaction().execute(async (trx) => {
        const userIds = [...new Set([...people.ids.values(), ownerId])];
        for (const userId of userIds)
          await trx.insertInto("memberships").values({ user_id: userId, tenant_id: tenantId, created_at: now }).execute();
        await trx.updateTable("tenants").set({ status: "active" }).where("id", "=", tenantId).execute();
      });
    } catch (error) {
      await services.pool.close(tenantId);
      deleteTenantFile(config.dataDir, tenantId);
      await rm(blobDir(config.dataDir, tenantId), { recursive: true, force: true });
      await control.deleteFrom("memberships").where("tenant_id", "=", tenantId).execute();
      await control.deleteFrom("tenants").where("id", "=", tenantId).execute();
      throw error instanceof ImportError ? error : refused(`The import failed and was undone: ${(error as Error).message}`);
    }
    onProgress(total, total);
    return {
      tenantId,
      slug: slug.data,
      name,
      counts: manifest.counts,
      matched: people.matched,
      unmatched: people.unmatched,
      deliveriesNotResent,
    };
  } finally {
    zip.close();
  }
}

interface Archive {
  manifest: Manifest;
  entries: Map<string, yauzl.Entry>;
  files: Map<string, ManifestFile>;
  attachments: ManifestFile[];
  /** Attachment id → its file (the path is checked against the row's name in checkAttachmentFiles). */
  byAttachment: Map<string, ManifestFile>;
  /** The tables of the archive's format version (an older version lacks tables added since: imported empty). */
  tables: TableName[];
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(
      path,
      { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: true, decodeStrings: true },
      (error, zip) => (error ? reject(bad(`Not a readable ZIP archive: ${error.message}`)) : resolve(zip)),
    ),
  );
}

function listEntries(zip: yauzl.ZipFile): Promise<Map<string, yauzl.Entry>> {
  return new Promise((resolve, reject) => {
    const entries = new Map<string, yauzl.Entry>();
    zip.on("entry", (entry: yauzl.Entry) => {
      if (entries.has(entry.fileName)) return reject(bad(`The archive holds ${entry.fileName} twice.`));
      if (entry.isEncrypted()) return reject(bad(`${entry.fileName} is encrypted; exports never are.`));
      entries.set(entry.fileName, entry);
      zip.readEntry();
    });
    zip.once("end", () => resolve(entries));
    zip.once("error", (error: Error) => reject(bad(`Not a readable ZIP archive: ${error.message}`)));
    zip.readEntry();
  });
}

function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) =>
    zip.openReadStream(entry, (error, stream) => (error ? reject(bad(`${entry.fileName}: ${error.message}`)) : resolve(stream))),
  );
}

/**
 * The entry's bytes through a hash, checked against the manifest when the stream ends. With
 * `maxLine`, a line (bytes between newlines) longer than that fails the stream before a reader has
 * had to hold it: readline keeps a whole line in memory, and a few MB of ZIP can declare gigabytes.
 */
async function verifiedStream(zip: yauzl.ZipFile, archive: Archive, file: ManifestFile, maxLine = Infinity) {
  const entry = archive.entries.get(file.path)!;
  if (entry.uncompressedSize !== file.bytes)
    throw bad(`${file.path} has ${entry.uncompressedSize} bytes; the manifest says ${file.bytes}.`);
  const source = await openEntry(zip, entry);
  const hash = createHash("sha256");
  let line = 0;
  const tooLong = () =>
    bad(`${file.path} has a line longer than ${maxLine / 1024 / 1024} MiB; an export never writes one, so this archive is refused.`);
  const through = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      if (maxLine !== Infinity) {
        let start = 0;
        for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
          if (line + nl - start > maxLine) return cb(tooLong());
          line = 0;
          start = nl + 1;
        }
        line += chunk.length - start;
        if (line > maxLine) return cb(tooLong());
      }
      cb(null, chunk);
    },
  });
  // Named first, so a damaged entry reaches the reader as this sentence rather than yauzl's own.
  source.once("error", (error) => through.destroy(bad(`${file.path}: ${error.message}`)));
  // pipeline listens to both streams for their whole life and destroys both when either fails or the
  // reader destroys `stream` (every caller does once done, so the entry's file handle is released);
  // the reader sees the failure through `stream` itself.
  pipeline(source, through, () => {});
  return {
    stream: through,
    check: () => {
      if (hash.digest("hex") !== file.sha256)
        throw bad(`${file.path} does not match its SHA-256 in the manifest: the archive was changed or damaged.`);
    },
  };
}

async function readArchive(zip: yauzl.ZipFile): Promise<Archive> {
  const entries = await listEntries(zip);
  const manifestEntry = entries.get(MANIFEST_PATH);
  if (!manifestEntry) throw bad(`The archive has no ${MANIFEST_PATH}; it is not an opslayer organisation export.`);
  if (manifestEntry.uncompressedSize > MANIFEST_MAX_BYTES) throw bad(`${MANIFEST_PATH} is too large.`);
  const chunks: Buffer[] = [];
  for await (const chunk of await openEntry(zip, manifestEntry)) chunks.push(chunk as Buffer);
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw bad(`${MANIFEST_PATH} is not valid JSON.`);
  }
  const format = (raw as { format?: unknown } | null)?.format;
  const tables = tablesOfVersion(format);
  if (!tables) throw bad(`Unsupported export format ${JSON.stringify(format ?? null)}; this instance reads ${FORMAT_VERSION}.`);
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) throw bad(`${MANIFEST_PATH} is malformed: ${issuesText(parsed.error)}`);
  const manifest = parsed.data;

  const files = new Map<string, ManifestFile>();
  for (const file of manifest.files) {
    if (files.has(file.path)) throw bad(`${MANIFEST_PATH} lists ${file.path} twice.`);
    if (!entries.has(file.path)) throw bad(`${file.path} is listed in the manifest but missing from the archive.`);
    files.set(file.path, file);
  }
  for (const name of entries.keys())
    if (name !== MANIFEST_PATH && !files.has(name)) throw bad(`${name} is in the archive but not in the manifest.`);
  // Before any entry is read: the sizes below are then what every check and limit is about.
  for (const file of manifest.files) {
    const size = entries.get(file.path)!.uncompressedSize;
    if (size !== file.bytes) throw bad(`${file.path} has ${size} bytes; the manifest says ${file.bytes}.`);
  }
  const tableFiles = manifest.files.filter((f) => f.kind === "table");
  for (const table of tables) {
    const file = files.get(tablePath(table));
    if (!file || file.kind !== "table") throw bad(`The archive has no ${tablePath(table)}.`);
    if (file.rows !== manifest.counts[table])
      throw bad(`${tablePath(table)}: the manifest's counts disagree (${file.rows} vs ${manifest.counts[table]}).`);
  }
  if (tableFiles.length !== tables.length) throw bad("The archive holds table files this format does not define.");
  const attachments = manifest.files.filter((f) => f.kind === "attachment");
  if (manifest.counts.attachment_files !== attachments.length) throw bad("The manifest's attachment count disagrees with its file list.");
  const byAttachment = new Map<string, ManifestFile>();
  for (const file of attachments) {
    if (!file.attachment_id) throw bad(`${file.path} names no attachment.`);
    if (byAttachment.has(file.attachment_id)) throw bad(`The archive holds two files for the attachment ${file.attachment_id}.`);
    byAttachment.set(file.attachment_id, file);
  }
  return { manifest, entries, files, attachments, byAttachment, tables };
}

/**
 * The limits an upload here is held to (FILE_MAX_BYTES, ORG_QUOTA_BYTES), from the verified sizes:
 * an import is not a way around them. `refused`: the archive is valid, this instance will not take it.
 */
function checkLimits(archive: Archive, limits: { fileMaxBytes: number; orgQuotaBytes: number }) {
  let total = 0;
  for (const file of archive.attachments) {
    if (file.bytes > limits.fileMaxBytes)
      throw refused(`${file.path} has ${file.bytes} bytes; files here can be at most ${limits.fileMaxBytes} bytes (FILE_MAX_BYTES).`);
    total += file.bytes;
  }
  if (total > limits.orgQuotaBytes)
    throw refused(
      `The attachments add up to ${total} bytes; an organisation here can store at most ${limits.orgQuotaBytes} bytes (ORG_QUOTA_BYTES).`,
    );
}

/**
 * Streams one table file, checking its layout (a JSON array, one row per line, as written), every
 * row against the format's schema, the row count and the checksum.
 */
async function readTable(zip: yauzl.ZipFile, archive: Archive, table: TableName, onRow: (row: Row) => void | Promise<void>) {
  const path = tablePath(table);
  const file = archive.files.get(path)!;
  const { stream, check } = await verifiedStream(zip, archive, file, MAX_LINE_BYTES);
  const schema = TABLES[table].row;
  const layout = () => bad(`${path} is not laid out as an export writes it (a JSON array with one row per line).`);
  let line = 0;
  let rows = 0;
  let state: "start" | "rows" | "end" | "after" = "start";
  let pendingComma = false;
  try {
    for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) {
      line++;
      if (state === "start") {
        if (text === "[]") state = "after";
        else if (text === "[") state = "rows";
        else throw layout();
        continue;
      }
      if (state === "after") {
        if (text !== "") throw layout();
        continue;
      }
      if (text === "]") {
        if (pendingComma || rows === 0) throw layout();
        state = "after";
        continue;
      }
      if (rows > 0 && !pendingComma) throw layout();
      pendingComma = text.endsWith(",");
      let value: unknown;
      try {
        value = JSON.parse(pendingComma ? text.slice(0, -1) : text);
      } catch {
        throw bad(`${path} line ${line} is not valid JSON.`);
      }
      const parsed = schema.safeParse(value);
      if (!parsed.success) throw bad(`${path} row ${rows + 1} does not match the ${table} schema: ${issuesText(parsed.error)}`);
      rows++;
      await onRow({ ...parsed.data });
    }
  } finally {
    stream.destroy();
  }
  if (state !== "after") throw layout();
  check();
  if (rows !== file.rows) throw bad(`${path} has ${rows} rows; the manifest says ${file.rows}.`);
}

/**
 * Checks an attachment's bytes, and its type as writeEncryptedBlob will sniff it when it is stored
 * (the same first bytes, `complete` when the file is shorter than them): a type refused there would
 * otherwise surface only after rows and blobs were written.
 */
async function checkAttachment(zip: yauzl.ZipFile, archive: Archive, file: ManifestFile, name: string) {
  const { stream, check } = await verifiedStream(zip, archive, file);
  const head: Buffer[] = [];
  let headBytes = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (headBytes >= SNIFF_BYTES) continue;
      head.push(chunk);
      headBytes += chunk.length;
    }
  } finally {
    stream.destroy();
  }
  check();
  const verdict = sniff(Buffer.concat(head).subarray(0, SNIFF_BYTES), name, file.bytes < SNIFF_BYTES);
  if (!verdict.ok) throw bad(`${file.path} is not a file this instance accepts: ${verdict.reason}`);
}

function checkAttachmentFiles(archive: Archive, rows: Map<string, Row>) {
  const seen = new Set<string>();
  for (const file of archive.attachments) {
    const row = file.attachment_id ? rows.get(file.attachment_id) : undefined;
    if (!row) throw bad(`${file.path} belongs to no row of the attachments table.`);
    if (!attachmentPaths(row.id as string, row.name as string).includes(file.path))
      throw bad(`${file.path} is not where the attachment ${row.id} belongs.`);
    if (file.bytes !== row.size) throw bad(`${file.path} has ${file.bytes} bytes; its row says ${row.size}.`);
    seen.add(row.id as string);
  }
  for (const id of rows.keys()) if (!seen.has(id)) throw bad(`The attachment ${id} has no file in the archive.`);
}

interface People {
  /** Exported member id → this instance's account id, for members whose email has an account here. */
  ids: Map<string, string>;
  ownerId: string;
  ownerName: string;
  ownerEmail: string;
  matched: string[];
  unmatched: string[];
}

async function matchPeople(services: Services, members: Row[], ownerEmail: string | undefined): Promise<People> {
  const emails = [...new Set(members.map((m) => String(m.email).toLowerCase()))];
  const lookup = async (list: string[]) =>
    list.length
      ? services.control
          .selectFrom("users")
          .select(["id", "email", "name"])
          .where("email", "in", list)
          .where("deleted_at", "is", null)
          // An unconfirmed sign-up may hold someone else's address: it must not inherit their seat (issue 24).
          .where("email_verified_at", "is not", null)
          .execute()
      : [];
  const accounts = new Map((await lookup(emails)).map((u) => [u.email.toLowerCase(), u]));
  const ids = new Map<string, string>();
  const taken = new Set<string>();
  const matched: string[] = [];
  const unmatched: string[] = [];
  for (const m of members) {
    const account = accounts.get(String(m.email).toLowerCase());
    if (account && !taken.has(account.id)) {
      ids.set(m.user_id as string, account.id);
      taken.add(account.id);
      matched.push(account.email);
    } else unmatched.push(String(m.email));
  }
  let owner: { id: string; email: string; name: string } | undefined;
  if (ownerEmail !== undefined) {
    const email = z.email().safeParse(ownerEmail.trim().toLowerCase());
    if (!email.success) throw refused("--owner: not an email address.");
    owner = (await lookup([email.data]))[0];
    if (!owner) {
      const unconfirmed = await services.control
        .selectFrom("users")
        .select("id")
        .where("email", "=", email.data)
        .where("deleted_at", "is", null)
        .executeTakeFirst();
      if (unconfirmed)
        throw refused(`--owner: ${email.data} has not confirmed its email address yet; it must do so before it can own an organisation.`);
      throw refused(`--owner: there is no account for ${email.data} on this instance; sign up first.`);
    }
  } else {
    const exportedOwner = members.find((m) => m.role === "owner" && ids.has(m.user_id as string));
    if (!exportedOwner)
      throw refused(
        "None of the exported organisation's owners has an account on this instance: name one with --owner <email of an existing account>.",
      );
    const id = ids.get(exportedOwner.user_id as string)!;
    owner = [...accounts.values()].find((a) => a.id === id)!;
  }
  return { ids, ownerId: owner.id, ownerName: owner.name, ownerEmail: owner.email, matched, unmatched };
}

function remapPeople(table: TableName, row: Row, ids: Map<string, string>): Row {
  const out = { ...row };
  for (const column of PERSON_COLUMNS[table] ?? []) {
    const value = out[column];
    if (typeof value === "string" && ids.has(value)) out[column] = ids.get(value);
  }
  if (table === "project_shares" && out.subject_kind === "member" && ids.has(out.subject_id as string))
    out.subject_id = ids.get(out.subject_id as string);
  return out;
}

/** Before payments go in: invoices that were issued, paid or void become issued with their number. */
async function promoteInvoices(db: Kysely<TenantDB>, invoices: { id: string; status: string; number: string | null }[]) {
  for (const inv of invoices)
    if (inv.status !== "draft")
      await db.updateTable("invoices").set({ status: "issued", number: inv.number }).where("id", "=", inv.id).execute();
}

/** After payments: paid and void invoices take their final status (issued → paid / void is a move the triggers allow). */
async function finishInvoices(db: Kysely<TenantDB>, invoices: { id: string; status: string }[]) {
  for (const inv of invoices)
    if (inv.status === "paid" || inv.status === "void")
      await db.updateTable("invoices").set({ status: inv.status }).where("id", "=", inv.id).execute();
}

async function storeAttachment(
  services: Services,
  zip: yauzl.ZipFile,
  archive: Archive,
  tenantId: string,
  key: Awaited<ReturnType<Services["keys"]["dataKeyFor"]>>,
  row: Row,
) {
  const file = archive.byAttachment.get(row.id as string)!;
  const { stream, check } = await verifiedStream(zip, archive, file);
  const blobName = newBlobName();
  let stored: { size: number; contentType: string };
  try {
    stored = await writeEncryptedBlob({
      source: stream,
      dataDir: services.config.dataDir,
      tenantId,
      blobName,
      key,
      aad: { org: tenantId, row: row.id as string },
      name: row.name as string,
      limit: row.size as number,
      limitReason: "size",
    });
  } catch (error) {
    if (error instanceof ImportError) throw error;
    throw bad(`${file.path} cannot be stored: ${(error as Error).message}`);
  } finally {
    stream.destroy();
  }
  check();
  return { blobName, contentType: stored.contentType };
}
