/**
 * Decides a file's type from its first bytes (never from the name or the client's Content-Type) and
 * refuses anything outside a short allowlist. Markup (HTML, SVG, XML), scripts and executables are
 * refused: attachments are always served as downloads, but they should not be stored at all.
 */

export const ALLOWED_TYPES = new Set([
  "application/pdf",
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
  "text/plain",
  "text/csv",
  "application/zip",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation",
]);

/** How many leading bytes `sniff` looks at (it is given fewer for a smaller file). */
export const SNIFF_BYTES = 64 * 1024;

export type SniffResult = { ok: true; contentType: string } | { ok: false; reason: string };

const starts = (b: Buffer, sig: readonly number[], at = 0) => b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v);
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

const EXECUTABLES: [number[], string][] = [
  [ascii("MZ"), "a Windows executable"],
  [[0x7f, 0x45, 0x4c, 0x46], "an ELF executable"],
  [[0xfe, 0xed, 0xfa, 0xce], "a Mach-O executable"],
  [[0xfe, 0xed, 0xfa, 0xcf], "a Mach-O executable"],
  [[0xce, 0xfa, 0xed, 0xfe], "a Mach-O executable"],
  [[0xcf, 0xfa, 0xed, 0xfe], "a Mach-O executable"],
  [[0xca, 0xfe, 0xba, 0xbe], "a Mach-O or Java class file"],
  [ascii("#!"), "a script"],
];

/** File name extensions refused even when the content looks like plain text. */
const RISKY_NAME = /\.(html?|xht(ml)?|svgz?|xml|xsl|js|mjs|cjs|jsx|ts|vbs|ps1|bat|cmd|sh|hta|php|swf|exe|dll|msi|jar|app)$/i;
const MARKUP = /<\s*(!doctype|html|head|body|script|svg|iframe|object|embed|\?xml|meta|style|img|link|form|a\s+href)\b/i;

function zipKind(head: Buffer): string {
  // Office Open XML: the part names sit in the local file headers near the start of the archive.
  const text = head.toString("latin1");
  if (!text.includes("[Content_Types].xml") && !/(word|xl|ppt)\//.test(text)) return "application/zip";
  if (text.includes("word/")) return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
  if (text.includes("xl/")) return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  if (text.includes("ppt/")) return "application/vnd.openxmlformats-officedocument.presentationml.presentation";
  return "application/zip";
}

function isText(head: Buffer, complete: boolean): boolean {
  if (head.includes(0)) return false;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(head, { stream: !complete });
    return true;
  } catch {
    return false;
  }
}

/**
 * `head` is the file's first bytes (up to SNIFF_BYTES); `complete` says it is the whole file.
 * `name` only picks between text/plain and text/csv, and refuses risky extensions for text.
 */
export function sniff(head: Buffer, name: string, complete: boolean): SniffResult {
  if (head.length === 0) return { ok: false, reason: "The file is empty." };
  for (const [sig, what] of EXECUTABLES)
    if (starts(head, sig)) return { ok: false, reason: `This looks like ${what}; it cannot be attached.` };
  if (starts(head, ascii("%PDF-"))) return { ok: true, contentType: "application/pdf" };
  if (starts(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { ok: true, contentType: "image/png" };
  if (starts(head, [0xff, 0xd8, 0xff])) return { ok: true, contentType: "image/jpeg" };
  if (starts(head, ascii("GIF87a")) || starts(head, ascii("GIF89a"))) return { ok: true, contentType: "image/gif" };
  if (starts(head, ascii("RIFF")) && starts(head, ascii("WEBP"), 8)) return { ok: true, contentType: "image/webp" };
  if (starts(head, [0x50, 0x4b, 0x03, 0x04]) || starts(head, [0x50, 0x4b, 0x05, 0x06])) return { ok: true, contentType: zipKind(head) };
  if (isText(head, complete)) {
    const text = head.toString("utf8").replace(/^\uFEFF/, "");
    if (/^\s*</.test(text) || MARKUP.test(text.slice(0, 4096)))
      return { ok: false, reason: "HTML, SVG and other markup files cannot be attached." };
    if (RISKY_NAME.test(name)) return { ok: false, reason: "Scripts and web pages cannot be attached." };
    return { ok: true, contentType: /\.csv$/i.test(name) ? "text/csv" : "text/plain" };
  }
  return {
    ok: false,
    reason: "This type of file cannot be attached (allowed: PDF, PNG, JPEG, GIF, WebP, plain text, CSV, ZIP and Office documents).",
  };
}
