import type { ControlDb } from "../../db/control/open";
import type { Mailer } from "../email/mailer";

/**
 * The operators are the platform's staff accounts (verified, not deleted) plus SUPPORT_EMAIL when
 * set: staff are the people with the `opslayer` command and the machine; SUPPORT_EMAIL is the
 * address an installation already gives for platform matters. Each gets one message; one failed
 * recipient does not stop the others. Returns how many messages went out.
 */
export async function emailOperators(
  deps: { control: ControlDb; mailer: Mailer; supportEmail: string | null; log: (line: string) => void },
  subject: string,
  text: string,
): Promise<number> {
  const staff = await deps.control
    .selectFrom("users")
    .select("email")
    .where("is_staff", "=", 1)
    .where("email_verified_at", "is not", null)
    .where("deleted_at", "is", null)
    .execute();
  const recipients = new Set(staff.map((s) => s.email.toLowerCase()));
  if (deps.supportEmail) recipients.add(deps.supportEmail.toLowerCase());
  if (recipients.size === 0) deps.log("[storage] no operator to email: no verified staff account and no SUPPORT_EMAIL");
  let sent = 0;
  for (const to of recipients) {
    try {
      await deps.mailer.send({ to, subject, text });
      sent++;
    } catch (error) {
      deps.log(`[storage] could not email ${to}: ${(error as Error).message}`);
    }
  }
  return sent;
}
