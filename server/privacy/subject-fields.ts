/**
 * The free-text columns an organisation's people type, which a data subject request searches. Each
 * says how to name its rows and, where the row may not be rewritten, why: the reason is shown beside
 * the match instead of a checkbox, and a redaction naming it is refused with the same sentence
 * before any trigger is reached.
 */
export interface SubjectField {
  table: string;
  column: string;
  /** What the page calls it, e.g. "Client notes". */
  label: string;
  idColumn: string;
  /** Integer primary key (audit_log, server_logs): selections carry it as text. */
  numericId?: boolean;
  /** Set when the table has updated_at, so a redaction shows as an edit like any other. */
  touchesUpdatedAt?: boolean;
  /** Never redactable here, for this reason. */
  readOnly?: string;
  /** Redactable unless this SQL condition (over the row, unaliased columns) holds, for this reason. */
  lockedWhen?: { sql: string; reason: string };
}

const ISSUED =
  "Issued invoices stay as issued: tax law requires the document to be kept unchanged. Record that a redacted copy was provided instead.";
const INVOICED_TIME = "This time is on an invoice and locked with it; an issued invoice keeps the time it billed.";

export const SUBJECT_FIELDS: readonly SubjectField[] = [
  { table: "clients", column: "name", label: "Client name", idColumn: "id", touchesUpdatedAt: true },
  { table: "clients", column: "contact_email", label: "Client contact email", idColumn: "id", touchesUpdatedAt: true },
  { table: "clients", column: "notes", label: "Client notes", idColumn: "id", touchesUpdatedAt: true },
  { table: "projects", column: "name", label: "Project name", idColumn: "id", touchesUpdatedAt: true },
  { table: "tasks", column: "title", label: "Task title", idColumn: "id", touchesUpdatedAt: true },
  { table: "tasks", column: "description", label: "Task description", idColumn: "id", touchesUpdatedAt: true },
  { table: "tasks", column: "decline_reason", label: "Request decline reason", idColumn: "id", touchesUpdatedAt: true },
  { table: "comments", column: "body", label: "Comment", idColumn: "id", touchesUpdatedAt: true },
  {
    table: "time_entries",
    column: "note",
    label: "Time entry note",
    idColumn: "id",
    touchesUpdatedAt: true,
    lockedWhen: { sql: "invoice_id is not null", reason: INVOICED_TIME },
  },
  {
    table: "invoices",
    column: "notes",
    label: "Invoice notes",
    idColumn: "id",
    touchesUpdatedAt: true,
    lockedWhen: { sql: "status <> 'draft'", reason: ISSUED },
  },
  {
    table: "invoices",
    column: "void_reason",
    label: "Invoice void reason",
    idColumn: "id",
    touchesUpdatedAt: true,
    lockedWhen: { sql: "status <> 'draft'", reason: ISSUED },
  },
  {
    table: "invoice_lines",
    column: "description",
    label: "Invoice line",
    idColumn: "id",
    lockedWhen: { sql: "(select status from invoices where invoices.id = invoice_lines.invoice_id) <> 'draft'", reason: ISSUED },
  },
  {
    table: "payments",
    column: "reference",
    label: "Payment reference",
    idColumn: "id",
    readOnly: "Payments are records of money received and are never rewritten, like the invoice they settle.",
  },
  {
    table: "payments",
    column: "note",
    label: "Payment note",
    idColumn: "id",
    readOnly: "Payments are records of money received and are never rewritten, like the invoice they settle.",
  },
  { table: "labels", column: "name", label: "Label", idColumn: "id", touchesUpdatedAt: true },
  { table: "attachments", column: "name", label: "File name", idColumn: "id" },
  { table: "connected_services", column: "name", label: "Integration name", idColumn: "id", touchesUpdatedAt: true },
  { table: "servers", column: "name", label: "Server name", idColumn: "id", touchesUpdatedAt: true },
  { table: "server_logs", column: "log", label: "Server log", idColumn: "id", numericId: true },
  {
    table: "members",
    column: "name",
    label: "Member name",
    idColumn: "user_id",
    readOnly: "A member's own account: they change it in their account, and deleting the account pseudonymises it here.",
  },
  {
    table: "members",
    column: "email",
    label: "Member email",
    idColumn: "user_id",
    readOnly: "A member's own account: they change it in their account, and deleting the account pseudonymises it here.",
  },
  {
    table: "webhook_deliveries",
    column: "payload",
    label: "Webhook delivery",
    idColumn: "id",
    readOnly: "A copy of what was already sent to a webhook receiver: editing it would not unsend it. Ask the receiver to erase it.",
  },
  {
    table: "audit_log",
    column: "detail",
    label: "Audit log entry",
    idColumn: "id",
    numericId: true,
    readOnly:
      "The audit log is append-only, so that it can be trusted; its entries are removed when they pass the retention period in Settings.",
  },
];

export const SUBJECT_TABLES = [...new Set(SUBJECT_FIELDS.map((f) => f.table))] as [string, ...string[]];

export function subjectField(table: string, column: string): SubjectField | undefined {
  return SUBJECT_FIELDS.find((f) => f.table === table && f.column === column);
}
