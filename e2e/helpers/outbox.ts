import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/**
 * Reads the server's outbox: without SMTP_URL every message is written as
 * $DATA_DIR/outbox/<iso-time>-<id>.eml (see server/email/mailer.ts). playwright.config.ts creates the
 * data directory and hands it to the test workers as E2E_DATA_DIR.
 */
export function outboxDir(): string {
  const dataDir = process.env.E2E_DATA_DIR;
  if (!dataDir) throw new Error("E2E_DATA_DIR is not set: run the e2e tests through playwright.config.ts.");
  return join(dataDir, "outbox");
}

export interface OutboxMessage {
  file: string;
  /** Modification time of the file, ms since the epoch. */
  writtenAt: number;
  to: string[];
  subject: string;
  /** The decoded plain-text body. */
  text: string;
  links: string[];
}

/** RFC 2045 quoted-printable: soft line breaks (`=` at the end of a line) and `=XX` bytes. */
export function decodeQuotedPrintable(body: string): string {
  const joined = body.replace(/=\r?\n/g, "");
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined.slice(i + 1, i + 3);
    if (joined[i] === "=" && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(joined[i]!, "utf8"));
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

/** Header lines unfolded (a line starting with white space continues the previous one), names lower-cased. */
function parseHeaders(head: string): Map<string, string> {
  const headers = new Map<string, string>();
  let last: string | null = null;
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && last) {
      headers.set(last, `${headers.get(last)} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim().toLowerCase();
    headers.set(last, line.slice(colon + 1).trim());
  }
  return headers;
}

/** RFC 2047 encoded words in headers such as Subject: =?UTF-8?Q?...?= or =?UTF-8?B?...?= */
function decodeHeaderValue(value: string): string {
  return value.replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_, _charset: string, enc: string, data: string) =>
    enc.toUpperCase() === "B" ? Buffer.from(data, "base64").toString("utf8") : decodeQuotedPrintable(data.replace(/_/g, " ")),
  );
}

function decodeBody(body: string, transferEncoding: string): string {
  switch (transferEncoding.toLowerCase()) {
    case "quoted-printable":
      return decodeQuotedPrintable(body);
    case "base64":
      return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
    default:
      return body;
  }
}

/** Parses one single-part .eml as nodemailer writes it for a plain-text message. */
export function parseEml(raw: string, file = "", writtenAt = 0): OutboxMessage {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split === -1 ? raw : raw.slice(0, split);
  const rawBody = split === -1 ? "" : raw.slice(split).replace(/^\r?\n\r?\n/, "");
  const headers = parseHeaders(head);
  const to = (headers.get("to") ?? "").match(/[^\s<>,";]+@[^\s<>,";]+/g)?.map((a) => a.toLowerCase()) ?? [];
  const text = decodeBody(rawBody, headers.get("content-transfer-encoding") ?? "7bit");
  return {
    file,
    writtenAt,
    to,
    subject: decodeHeaderValue(headers.get("subject") ?? ""),
    text,
    links: text.match(/https?:\/\/[^\s<>"]+/g) ?? [],
  };
}

/** Every complete message in the outbox, oldest first. */
export function readOutbox(): OutboxMessage[] {
  const dir = outboxDir();
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".eml"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const messages = names.map((name) => {
    const file = join(dir, name);
    return parseEml(readFileSync(file, "utf8"), file, statSync(file).mtimeMs);
  });
  // File names start with an ISO timestamp; the mtime breaks ties within one millisecond.
  return messages.sort((a, b) => a.writtenAt - b.writtenAt || a.file.localeCompare(b.file));
}

export interface WaitOptions {
  /** Only links whose path ends with this (e.g. "/verify"); by default any link. */
  pathname?: string;
  /** Ignore messages written before this time (ms since the epoch), e.g. stale ones from an earlier step. */
  since?: number;
  /** How long to poll before giving up; default 15 s. */
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Polls the outbox (bounded by timeoutMs) for the newest message to `address` that carries a
 * matching link, and returns that message. A file is only accepted once its size has been the same
 * on two consecutive polls, so a message that is still being written is never half-read.
 */
export async function waitForEmail(address: string, options: WaitOptions = {}): Promise<OutboxMessage & { link: string }> {
  const { pathname, since = 0, timeoutMs = 15_000, intervalMs = 100 } = options;
  const wanted = address.trim().toLowerCase();
  const deadline = Date.now() + timeoutMs;
  const sizes = new Map<string, number>();
  for (;;) {
    const candidates: (OutboxMessage & { link: string })[] = [];
    for (const message of readOutbox()) {
      const size = Buffer.byteLength(readFileSync(message.file));
      const stable = sizes.get(message.file) === size;
      sizes.set(message.file, size);
      if (!stable || message.writtenAt < since || !message.to.includes(wanted)) continue;
      const link = message.links.find((l) => !pathname || new URL(l).pathname.endsWith(pathname));
      if (link) candidates.push({ ...message, link });
    }
    const newest = candidates.at(-1);
    if (newest) return newest;
    if (Date.now() > deadline) {
      const seen = readOutbox().map((m) => `${m.to.join(",")}: ${m.subject}`);
      throw new Error(
        `No message to ${address}${pathname ? ` with a ${pathname} link` : ""} in ${outboxDir()} after ${timeoutMs} ms.` +
          ` Outbox holds ${seen.length} message(s)${seen.length ? `: ${seen.join("; ")}` : ""}.`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The link from the newest message to `address` (see waitForEmail). */
export async function waitForLink(address: string, options: WaitOptions = {}): Promise<string> {
  return (await waitForEmail(address, options)).link;
}
