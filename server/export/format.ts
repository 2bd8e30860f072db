import { z } from "zod";

/**
 * The organisation export format (docs/export-format.md). A ZIP holding:
 *
 *   tables/<table>.json                one JSON array per tenant table, one row per line
 *   attachments/<id>/<safe file name>  each attachment's decrypted bytes
 *   manifest.json                      written last: version, organisation, counts and checksums
 *
 * The version names the row shapes below. Adding a table or a column is a new version: an importer
 * refuses any version it does not know rather than guess, and an exporter refuses to write a
 * table whose columns no longer match its shape (so a migration cannot silently drop data from
 * exports).
 */
export const FORMAT_VERSION = "opslayer-org-export/2";

const id = z.string().min(1).max(100);
const text = z.string();
const int = z.number().int();
const ms = z.number().int().min(0);
const flag = z.union([z.literal(0), z.literal(1)]);
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const color = z.string().regex(/^#[0-9a-f]{6}$/);
const nullable = <T extends z.ZodType>(t: T) => t.nullable();
/** A sealed secret column: never exported; credentials are entered again after an import. */
const sealed = z.null();

/**
 * Every exported tenant table with its row shape (keys in column order, which is also the order
 * written) and its primary key, by which rows are ordered. Listed in insertion order: a table comes
 * after the tables its foreign keys point to.
 */
export const TABLES = {
  clients: {
    key: ["id"],
    row: z.strictObject({
      id,
      name: text,
      contact_email: nullable(text),
      notes: text,
      archived_at: nullable(ms),
      created_at: ms,
      updated_at: ms,
    }),
  },
  members: {
    key: ["user_id"],
    row: z.strictObject({
      user_id: id,
      role: text.min(1),
      name: text,
      email: text,
      joined_at: ms,
      client_id: nullable(id),
      digest_opt_in: flag,
      digest_sent_on: nullable(day),
    }),
  },
  roles: {
    key: ["id"],
    row: z.strictObject({ id, name: text, description: text, permissions: text, created_at: ms, updated_at: ms }),
  },
  projects: {
    key: ["id"],
    row: z.strictObject({
      id,
      client_id: id,
      name: text,
      code: nullable(text),
      status: text,
      hourly_rate: int.min(0),
      budget_seconds: nullable(int),
      archived_at: nullable(ms),
      created_at: ms,
      updated_at: ms,
      shared_space: flag,
    }),
  },
  project_shares: {
    key: ["project_id", "subject_kind", "subject_id"],
    row: z.strictObject({
      project_id: id,
      subject_kind: z.enum(["member", "role", "client"]),
      subject_id: id,
      created_by: nullable(id),
      created_at: ms,
    }),
  },
  org_settings: {
    key: ["id"],
    row: z.strictObject({
      id: z.literal(1),
      time_zone: text,
      currency: text,
      week_start: int,
      updated_at: ms,
      audit_retention_days: int,
      digest_hour: int.min(0).max(23),
    }),
  },
  workflow_statuses: {
    key: ["id"],
    row: z.strictObject({
      id,
      name: text,
      color,
      position: int,
      category: z.enum(["todo", "doing", "done"]),
      created_at: ms,
      updated_at: ms,
    }),
  },
  labels: {
    key: ["id"],
    row: z.strictObject({ id, name: text, color, created_at: ms, updated_at: ms }),
  },
  tasks: {
    key: ["id"],
    row: z.strictObject({
      id,
      project_id: id,
      status_id: id,
      kind: z.enum(["task", "request"]),
      title: text,
      description: text,
      priority: int.min(0).max(3),
      due_date: nullable(day),
      estimate_seconds: nullable(int),
      created_by: nullable(id),
      decline_reason: nullable(text),
      created_at: ms,
      updated_at: ms,
    }),
  },
  task_assignees: {
    key: ["task_id", "user_id"],
    row: z.strictObject({ task_id: id, user_id: id }),
  },
  task_labels: {
    key: ["task_id", "label_id"],
    row: z.strictObject({ task_id: id, label_id: id }),
  },
  comments: {
    key: ["id"],
    row: z.strictObject({ id, task_id: id, author_id: id, body: text, created_at: ms, updated_at: ms, edited_at: nullable(ms) }),
  },
  time_entries: {
    key: ["id"],
    row: z.strictObject({
      id,
      member_id: id,
      project_id: id,
      task_id: nullable(id),
      // Any instant and any duration: an entry dated 1969 or one that ends before it starts (flagged
      // by migration 0017) is the organisation's data to fix, and an export that refuses it is no copy.
      started_at: int,
      ended_at: nullable(int),
      duration_seconds: int,
      note: text,
      billable: flag,
      hourly_rate: int.min(0),
      invoice_id: nullable(id),
      created_at: ms,
      updated_at: ms,
      // Archives made before issue 26 have none; the importer flags such rows itself.
      problem: nullable(text).default(null),
    }),
  },
  member_rates: {
    key: ["member_id", "project_id"],
    row: z.strictObject({ member_id: id, project_id: nullable(id), hourly_rate: int.min(0), updated_at: ms }),
  },
  invoices: {
    key: ["id"],
    row: z.strictObject({
      id,
      client_id: id,
      number: nullable(text),
      status: z.enum(["draft", "issued", "paid", "void"]),
      currency: text.length(3),
      tax_rate_bp: int.min(0).max(10_000),
      subtotal: int.min(0),
      tax: int.min(0),
      total: int,
      period_from: nullable(day),
      period_to: nullable(day),
      issue_date: nullable(day),
      due_date: nullable(day),
      notes: text,
      issued_at: nullable(ms),
      paid_at: nullable(ms),
      voided_at: nullable(ms),
      void_reason: nullable(text),
      created_by: nullable(id),
      created_at: ms,
      updated_at: ms,
    }),
  },
  invoice_lines: {
    key: ["id"],
    row: z.strictObject({
      id,
      invoice_id: id,
      position: int,
      kind: z.enum(["time", "manual"]),
      description: text,
      project_id: nullable(id),
      quantity: int.positive(),
      unit_price: int.min(0),
      amount: int.min(0),
    }),
  },
  invoice_counters: {
    key: ["year"],
    row: z.strictObject({ year: int, last_number: int.positive() }),
  },
  payments: {
    key: ["id"],
    row: z.strictObject({
      id,
      invoice_id: id,
      paid_on: day,
      amount: int.positive(),
      method: z.enum(["bank_transfer", "card", "cash", "cheque", "other"]),
      reference: text,
      note: text,
      created_by: nullable(id),
      created_at: ms,
    }),
  },
  connected_services: {
    key: ["id"],
    row: z.strictObject({
      id,
      kind: z.enum(["github", "gitlab", "stripe", "aws", "google", "slack", "other"]),
      name: text,
      base_url: nullable(text),
      credential_type: z.enum(["api_key", "oauth", "basic", "ssh_key"]),
      secret: sealed,
      secret_hint: text,
      oauth_expires_at: nullable(ms),
      created_at: ms,
      updated_at: ms,
    }),
  },
  servers: {
    key: ["id"],
    row: z.strictObject({
      id,
      name: text,
      host: text,
      environment: z.enum(["production", "staging", "development", "other"]),
      credential_type: z.enum(["basic", "ssh_key", "api_key"]),
      secret: sealed,
      secret_hint: text,
      created_at: ms,
      updated_at: ms,
    }),
  },
  server_logs: {
    key: ["id"],
    row: z.strictObject({
      id: int.positive(),
      server_id: id,
      at: ms,
      actor_id: nullable(id),
      action: text,
      outcome: z.enum(["success", "failure", "running"]),
      log: text,
    }),
  },
  webhooks: {
    key: ["id"],
    row: z.strictObject({
      id,
      url: text,
      events: text,
      secret: sealed,
      active: flag,
      // Archives made before issue 25 have neither; their webhooks come in paused and unowned.
      owner_id: nullable(id).default(null),
      paused_reason: nullable(text).default(null),
      created_at: ms,
      updated_at: ms,
    }),
  },
  webhook_deliveries: {
    key: ["id"],
    row: z.strictObject({
      id,
      webhook_id: id,
      event: text,
      payload: text,
      status: z.enum(["pending", "delivered", "failed", "skipped"]),
      attempts: int.min(0),
      next_attempt_at: nullable(ms),
      last_status_code: nullable(int),
      last_duration_ms: nullable(int),
      last_error: nullable(text),
      created_at: ms,
      delivered_at: nullable(ms),
    }),
  },
  attachments: {
    key: ["id"],
    row: z.strictObject({
      id: z.string().regex(/^[a-z0-9]{1,40}$/),
      target_type: z.enum(["task", "project", "invoice"]),
      target_id: id,
      project_id: nullable(id),
      name: text.min(1).max(255),
      content_type: text,
      size: int.min(0),
      /** Where the encrypted bytes lived: a storage detail of one instance, so never exported. */
      blob_name: z.null(),
      uploaded_by: nullable(id),
      created_at: ms,
    }),
  },
  /** Version 2: rates migration 0016 listed as possibly stored at the wrong scale, and the owner's answer. */
  rate_scale_reviews: {
    key: ["id"],
    row: z.strictObject({
      id: int.positive(),
      target: z.enum(["member_rate", "project"]),
      member_id: nullable(id),
      project_id: nullable(id),
      currency: text.length(3),
      stored_rate: int.positive(),
      suggested_rate: int.min(0),
      status: z.enum(["pending", "kept", "fixed"]),
      resolved_by: nullable(id),
      resolved_at: nullable(ms),
      created_at: ms,
    }),
  },
  audit_log: {
    key: ["id"],
    row: z.strictObject({
      id: int.positive(),
      at: ms,
      actor_kind: text,
      actor_id: nullable(text),
      ip: nullable(text),
      user_agent: nullable(text),
      action: text,
      target_type: nullable(text),
      target_id: nullable(text),
      detail: text,
    }),
  },
} as const satisfies Record<string, { key: readonly string[]; row: z.ZodObject }>;

export type TableName = keyof typeof TABLES;
export const TABLE_NAMES = Object.keys(TABLES) as TableName[];

/**
 * Earlier versions an import still reads, with the tables they did not have yet: those are imported
 * empty (version 2 added rate_scale_reviews, issue 26; an older file never had a review to keep).
 */
export const OLDER_VERSIONS: Readonly<Record<string, readonly TableName[]>> = {
  "opslayer-org-export/1": ["rate_scale_reviews"],
};

/** The tables an archive of this version holds, or undefined for a version this instance does not read. */
export function tablesOfVersion(format: unknown): TableName[] | undefined {
  if (format === FORMAT_VERSION) return TABLE_NAMES;
  const missing = typeof format === "string" ? OLDER_VERSIONS[format] : undefined;
  return missing && TABLE_NAMES.filter((t) => !missing.includes(t));
}

/** Columns whose value is replaced on export (sealed, or meaningful on one instance only). */
export const NULLED_COLUMNS: Partial<Record<TableName, readonly string[]>> = {
  connected_services: ["secret"],
  servers: ["secret"],
  webhooks: ["secret"],
  attachments: ["blob_name"],
};

export function columnsOf(table: TableName): string[] {
  return Object.keys(TABLES[table].row.shape);
}

export const tablePath = (table: TableName) => `tables/${table}.json`;

/** Longest attachment file name in the archive, in code points (the real name stays in the attachments table). */
const NAME_MAX = 200;

/** A file name that is safe as one path segment on any OS; the real name stays in the attachments table. */
export function safeFileName(name: string): string {
  const cleaned = name
    .normalize("NFC")
    // A lone surrogate cannot be written as UTF-8, so the ZIP entry would not be named as the manifest says.
    // eslint-disable-next-line no-control-regex -- control characters are exactly what a file name must not carry
    .replace(/[\u0000-\u001f\u007f/\\:*?"<>|]|\p{Cs}/gu, "_")
    .replace(/^[.\s]+/, "_");
  // Cut by code points (cutting UTF-16 units can split a surrogate pair), then trim again: the cut can end on a dot or space.
  const cut = Array.from(cleaned)
    .slice(0, NAME_MAX)
    .join("")
    .replace(/[.\s]+$/, "");
  return cut || "file";
}

/**
 * How releases before the code-point cut named a file: trimmed, then cut by UTF-16 units. It differs
 * only for names longer than the limit; their archives are still version 1, so they are still read.
 */
function legacySafeFileName(name: string): string {
  const cleaned = name
    .normalize("NFC")
    // eslint-disable-next-line no-control-regex -- control characters are exactly what a file name must not carry
    .replace(/[\u0000-\u001f\u007f/\\:*?"<>|]/g, "_")
    .replace(/^[.\s]+/, "_")
    .replace(/[.\s]+$/, "")
    .slice(0, NAME_MAX);
  return cleaned || "file";
}

export const attachmentPath = (id: string, name: string) => `attachments/${id}/${safeFileName(name)}`;

/** Every path an archive of this version may hold the attachment under: the one written now first. */
export const attachmentPaths = (id: string, name: string) => [
  ...new Set([attachmentPath(id, name), `attachments/${id}/${legacySafeFileName(name)}`]),
];

/**
 * Longest line of a table file, in bytes without its newline. The importer reads a table line by
 * line, so a line is held whole: the cap keeps a small archive from declaring one enormous line, and
 * the exporter refuses a row that would not fit rather than write an archive no importer reads.
 */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

/** A schema failure as one readable clause (the first few issues, each with its column). */
export function issuesText(error: z.ZodError) {
  return error.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message))
    .join("; ");
}

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

export const manifestFile = z.strictObject({
  path: z.string().min(1).max(400),
  kind: z.enum(["table", "attachment"]),
  /** Table files: the number of rows. */
  rows: int.min(0).optional(),
  /** Attachments: the attachment id (the attachments row it belongs to). */
  attachment_id: z.string().optional(),
  bytes: int.min(0),
  sha256,
});

export const manifestSchema = z.strictObject({
  format: z.string(),
  app_version: z.string(),
  exported_at: ms,
  org: z.strictObject({ id: z.string(), slug: z.string(), name: z.string() }),
  /** The last tenant migration applied to the exported file: what the row shapes were read from. */
  schema_migration: z.string(),
  counts: z.record(z.string(), int.min(0)),
  files: z.array(manifestFile),
});

export type Manifest = z.output<typeof manifestSchema>;
export type ManifestFile = z.output<typeof manifestFile>;

export const MANIFEST_PATH = "manifest.json";
