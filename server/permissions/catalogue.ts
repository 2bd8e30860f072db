/**
 * Every permission a tenant procedure can declare. Names are the catalogue's for good: roles stored in
 * tenant files refer to them. Group and label are what the roles matrix shows.
 *
 * `reveals` marks a permission whose channel deliberately does NOT apply the sharing rule
 * (projectVisible) or the rates rule (project.rates.view): granting it shows what the sentence says,
 * whatever else the role lacks. The roles page prints it beside the box and the channel proof suite
 * reads REVEALING_PERMISSIONS, so a channel that leaks past the rule without an entry here is a bug.
 * Why each of these keeps its broad sight is in docs/decisions/014-channels-keep-the-visibility-rule.md.
 */
export const PERMISSIONS = {
  "client.read": { group: "Clients", label: "See clients" },
  "client.create": { group: "Clients", label: "Create clients" },
  "client.update": { group: "Clients", label: "Edit clients" },
  "client.archive": { group: "Clients", label: "Archive and restore clients" },
  "project.read": { group: "Projects", label: "See the projects shared with them" },
  "project.read.all": { group: "Projects", label: "See every project, shared or not" },
  "project.create": { group: "Projects", label: "Create projects" },
  "project.update": { group: "Projects", label: "Edit projects" },
  "project.archive": { group: "Projects", label: "Archive and restore projects" },
  "project.share": { group: "Projects", label: "Share projects" },
  "project.rates.view": { group: "Projects", label: "See rates and budgets" },
  "task.read": { group: "Tasks", label: "See tasks" },
  "task.create": { group: "Tasks", label: "Create tasks" },
  "task.update": { group: "Tasks", label: "Edit tasks" },
  "task.delete": { group: "Tasks", label: "Delete tasks" },
  "task.assign": { group: "Tasks", label: "Assign tasks" },
  "task.move": { group: "Tasks", label: "Move tasks between statuses" },
  "request.create": { group: "Tasks", label: "Raise requests" },
  "request.triage": { group: "Tasks", label: "Triage requests" },
  "workflow.manage": { group: "Tasks", label: "Manage workflow statuses" },
  "label.manage": { group: "Tasks", label: "Manage labels" },
  "comment.read": { group: "Comments", label: "Read comments" },
  "comment.create": { group: "Comments", label: "Write comments" },
  "comment.update.own": { group: "Comments", label: "Edit own comments" },
  "comment.delete.own": { group: "Comments", label: "Delete own comments" },
  "comment.delete.all": { group: "Comments", label: "Delete anyone's comments" },
  "time.read.own": { group: "Time", label: "See own time" },
  "time.read.all": { group: "Time", label: "See everyone's time" },
  "time.write.own": { group: "Time", label: "Track own time" },
  "time.write.all": { group: "Time", label: "Edit everyone's time" },
  "time.rates.manage": { group: "Time", label: "Set member hourly rates" },
  "time.reprice": { group: "Time", label: "Re-price unbilled time at today's rates" },
  "invoice.read": {
    group: "Invoices",
    label: "See invoices",
    // An invoice is the document sent to the client: its lines must add up to its total, so every
    // line is shown, whichever project its time came from.
    reveals:
      "Every line of every invoice as sent to the client, including the names, hours, rates and amounts of projects not shared with this role.",
  },
  "invoice.create": {
    group: "Invoices",
    label: "Create draft invoices",
    // A draft is priced from the unbilled time's rates: whoever drafts one sees what it will charge.
    // Projects the role cannot see stay out of the preview (the sharing rule still applies).
    reveals: "The hourly rates and amounts of unbilled time in the projects this role can see, while drafting an invoice.",
  },
  "invoice.update": { group: "Invoices", label: "Edit draft invoices" },
  "invoice.issue": { group: "Invoices", label: "Issue invoices" },
  "invoice.void": { group: "Invoices", label: "Void invoices" },
  "invoice.delete": { group: "Invoices", label: "Delete draft invoices" },
  "payment.read": { group: "Payments", label: "See payments" },
  "payment.create": { group: "Payments", label: "Record payments" },
  "payment.delete": { group: "Payments", label: "Delete payments" },
  "report.view": { group: "Reports", label: "See reports" },
  "report.export": { group: "Reports", label: "Export reports" },
  "dashboard.view": { group: "Reports", label: "See the dashboard" },
  "file.read": { group: "Files", label: "Download files" },
  "file.upload": { group: "Files", label: "Upload files" },
  "file.delete": { group: "Files", label: "Delete files" },
  "member.read": { group: "Members", label: "See members" },
  "member.invite": { group: "Members", label: "Invite members" },
  "member.remove": { group: "Members", label: "Remove members" },
  "member.role.assign": { group: "Members", label: "Change members' roles" },
  "role.manage": { group: "Members", label: "Manage custom roles" },
  "audit.view": {
    group: "Audit",
    label: "See the audit log",
    // The log is the organisation's record of who did what; a log with holes answers no question.
    reveals:
      "Every project's activity, shared or not: task titles, project names, hourly rates and invoice amounts recorded in the log's details.",
  },
  "audit.export": {
    group: "Audit",
    label: "Export the audit log",
    reveals:
      "Every project's activity, shared or not: task titles, project names, hourly rates and invoice amounts recorded in the log's details.",
  },
  "integration.read": { group: "Integrations", label: "See integrations" },
  "integration.manage": { group: "Integrations", label: "Manage integrations" },
  "webhook.manage": { group: "Integrations", label: "Manage webhooks" },
  "api.tokens": { group: "Integrations", label: "Create personal API tokens" },
  "support.grant": { group: "Organisation", label: "Grant support access" },
  "support.view": { group: "Organisation", label: "See what support does" },
  "org.view": { group: "Organisation", label: "Open the organisation" },
  "org.leave": { group: "Organisation", label: "Leave the organisation" },
  "org.settings": { group: "Organisation", label: "Change organisation settings" },
  "org.export": {
    group: "Organisation",
    label: "Export organisation data",
    // The organisation export is the agency's copy of its own file (portability, backups by hand).
    reveals: "Everything in the organisation: every project, task, comment, time entry, rate and invoice, shared or not.",
  },
  "privacy.subject_requests": {
    group: "Organisation",
    label: "Handle data subject requests (find and redact a person)",
    // A request covers the whole organisation, so the search reads every searched column directly.
    reveals:
      "Excerpts of text anywhere in the organisation, not shared projects and tasks, invoices and the audit log included, wherever a searched name or address occurs.",
  },
  "org.delete": { group: "Organisation", label: "Delete the organisation" },
  "org.billing": { group: "Organisation", label: "Manage the organisation's plan" },
} as const satisfies Record<string, { group: string; label: string; reveals?: string }>;

export type Permission = keyof typeof PERMISSIONS;

export const ALL_PERMISSIONS = Object.keys(PERMISSIONS) as Permission[];

/** What a permission shows past the sharing and rates rules, or null when its channels keep them. */
export function revealsOf(permission: Permission): string | null {
  const entry: { label: string; reveals?: string } = PERMISSIONS[permission];
  return entry.reveals ?? null;
}

/** The permissions whose channels keep broad sight on purpose, for the roles page and the proof suite. */
export const REVEALING_PERMISSIONS: readonly { permission: Permission; reveals: string }[] = ALL_PERMISSIONS.flatMap((permission) => {
  const reveals = revealsOf(permission);
  return reveals === null ? [] : [{ permission, reveals }];
});

export function isPermission(value: string): value is Permission {
  return Object.hasOwn(PERMISSIONS, value);
}
