import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import nodemailer from "nodemailer";
import type { Config } from "../config";
import { newId } from "../auth/tokens";

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  /** The link the message exists to deliver; logged when there is no SMTP so a self-hoster can still use it. */
  link?: string;
  /** Extra headers, e.g. List-Unsubscribe on digests. */
  headers?: Record<string, string>;
}

export interface Mailer {
  send(message: OutgoingEmail): Promise<void>;
}

/** SMTP when SMTP_URL is set; otherwise each message becomes a .eml file in data/outbox. */
export function createMailer(config: Config, log: (line: string) => void = console.log): Mailer {
  if (config.smtpUrl) {
    const transport = nodemailer.createTransport(config.smtpUrl);
    // sendMail rejects with its own failures; a pooled transport (SMTP_URL ?pool=true) also emits
    // connection errors as events, which with no listener would end the process.
    transport.on("error", (error) => log(`[mail] SMTP transport: ${error.message}`));
    return {
      async send(m) {
        await transport.sendMail({ from: config.mailFrom, to: m.to, subject: m.subject, text: m.text, headers: m.headers });
      },
    };
  }
  const outbox = join(config.dataDir, "outbox");
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "unix" });
  return {
    async send(m) {
      const info = await transport.sendMail({ from: config.mailFrom, to: m.to, subject: m.subject, text: m.text, headers: m.headers });
      mkdirSync(outbox, { recursive: true });
      const file = join(outbox, `${new Date().toISOString().replace(/[:.]/g, "-")}-${newId("m", 8)}.eml`);
      writeFileSync(file, info.message as Buffer, { mode: 0o600 });
      log(`[mail] no SMTP_URL: wrote "${m.subject}" for ${m.to} to ${file}${m.link ? `\n[mail] link: ${m.link}` : ""}`);
    },
  };
}
