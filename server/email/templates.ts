import type { OutgoingEmail } from "./mailer";

export function verifyEmailMessage(to: string, name: string, link: string): OutgoingEmail {
  return {
    to,
    link,
    subject: "Confirm your email for opslayer",
    text: `Hello ${name},\n\nConfirm your email address by opening this link within 48 hours:\n\n${link}\n\nIf you did not sign up, ignore this message.\n`,
  };
}

export function resetPasswordMessage(to: string, link: string): OutgoingEmail {
  return {
    to,
    link,
    subject: "Reset your opslayer password",
    text: `Someone asked to reset the password of this opslayer account.\n\nOpen this link within one hour to choose a new password:\n\n${link}\n\nIf it was not you, ignore this message; your password stays as it is.\n`,
  };
}

export function supportMessage(to: string, orgName: string, scope: string, expiresAt: number, reason: string, link: string): OutgoingEmail {
  return {
    to,
    link,
    subject: `Support access granted by ${orgName}`,
    text: `${orgName} granted ${scope} access to support until ${new Date(expiresAt).toISOString()}.\n\nReason: ${reason}\n\nOpen this link while logged in as staff (it works once):\n\n${link}\n`,
  };
}

export function invitationMessage(
  to: string,
  orgName: string,
  inviterName: string,
  roleName: string,
  expiresAt: number,
  link: string,
): OutgoingEmail {
  return {
    to,
    link,
    subject: `${inviterName} invited you to ${orgName} on opslayer`,
    text: `${inviterName} invited you to join ${orgName} on opslayer as ${roleName}.\n\nAccept by opening this link before ${new Date(expiresAt).toISOString()} (it works once, for ${to} only):\n\n${link}\n\nIf you did not expect this, ignore this message.\n`,
  };
}

/** What one member's daily digest says; the sections they may not see are null and left out. */
export interface DigestSummary {
  orgName: string;
  memberName: string;
  /** The local date the digest covers, and the organisation's zone. */
  date: string;
  timeZone: string;
  tasksCreated: { total: number; items: { title: string; projectName: string }[] } | null;
  tasksCompleted: { total: number; items: { title: string; projectName: string }[] } | null;
  comments: { total: number; byProject: { projectName: string; count: number }[] } | null;
  hours: { seconds: number; onlyOwn: boolean; byProject: { projectName: string; seconds: number }[] } | null;
  invoicesIssued: { total: number; items: { number: string | null; clientName: string; total: number; currency: string }[] } | null;
  /** Where the organisation opens, and the one-click way out. */
  orgLink: string;
  unsubscribeLink: string;
}

/** A message with extra headers (List-Unsubscribe); a mailer that passes `headers` on sends them. */
export type OutgoingEmailWithHeaders = OutgoingEmail & { headers: Record<string, string> };

const DIGEST_LISTED = 20;

function money(minor: number, currency: string) {
  const f = new Intl.NumberFormat("en", { style: "currency", currency });
  return f.format(minor / 10 ** (f.resolvedOptions().maximumFractionDigits ?? 2));
}

const hoursText = (seconds: number) => `${(seconds / 3600).toLocaleString("en", { maximumFractionDigits: 2 })} h`;

function listed<T>(items: T[], total: number, line: (item: T) => string) {
  const lines = items.slice(0, DIGEST_LISTED).map((i) => `  - ${line(i)}`);
  if (total > lines.length) lines.push(`  … and ${total - lines.length} more`);
  return lines;
}

/** Plain text on purpose: nothing to render, nothing to track, readable in any client. */
export function digestMessage(to: string, d: DigestSummary): OutgoingEmailWithHeaders {
  const out: string[] = [
    `Hello ${d.memberName},`,
    "",
    `Here is what happened in ${d.orgName} on ${d.date} (${d.timeZone}), in the projects you can see.`,
  ];
  if (d.tasksCreated?.total)
    out.push(
      "",
      `Tasks created: ${d.tasksCreated.total}`,
      ...listed(d.tasksCreated.items, d.tasksCreated.total, (t) => `${t.title} (${t.projectName})`),
    );
  if (d.tasksCompleted?.total)
    out.push(
      "",
      `Tasks completed: ${d.tasksCompleted.total}`,
      ...listed(d.tasksCompleted.items, d.tasksCompleted.total, (t) => `${t.title} (${t.projectName})`),
    );
  if (d.comments?.total)
    out.push(
      "",
      `Comments: ${d.comments.total}`,
      ...listed(d.comments.byProject, d.comments.byProject.length, (p) => `${p.projectName}: ${p.count}`),
    );
  if (d.hours?.seconds) {
    out.push(
      "",
      `${d.hours.onlyOwn ? "Hours you logged" : "Hours logged"}: ${hoursText(d.hours.seconds)}`,
      ...listed(d.hours.byProject, d.hours.byProject.length, (p) => `${p.projectName}: ${hoursText(p.seconds)}`),
    );
  }
  if (d.invoicesIssued?.total) {
    out.push(
      "",
      `Invoices issued: ${d.invoicesIssued.total}`,
      ...listed(
        d.invoicesIssued.items,
        d.invoicesIssued.total,
        (i) => `${i.number ?? "(no number)"} to ${i.clientName}: ${money(i.total, i.currency)}`,
      ),
    );
  }
  out.push(
    "",
    `Open ${d.orgName}: ${d.orgLink}`,
    "",
    "You get this because you asked for a daily digest. To stop it, open:",
    d.unsubscribeLink,
    "",
  );
  return {
    to,
    subject: `${d.orgName}: activity on ${d.date}`,
    text: out.join("\n"),
    headers: { "List-Unsubscribe": `<${d.unsubscribeLink}>` },
  };
}

/** To the members holding webhook.manage: webhooks paused because their owner lost sight (issue 25). */
export function webhookPausedMessage(to: string, orgName: string, link: string, paused: { url: string; reason: string }[]): OutgoingEmail {
  const lines = paused.map((p) => `- ${new URL(p.url).origin}: ${p.reason}`).join("\n");
  return {
    to,
    link,
    subject: `${paused.length === 1 ? "A webhook was" : `${paused.length} webhooks were`} paused in ${orgName}`,
    text: `A webhook sends only what its owner can see. These were paused in ${orgName} and send nothing until someone with webhook.manage takes ownership and resumes them:\n\n${lines}\n\nOpen the webhook settings:\n\n${link}\n`,
  };
}
