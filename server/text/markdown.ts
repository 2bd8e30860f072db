import MarkdownIt from "markdown-it";

/**
 * Markdown written by members and client contacts, rendered on the server into HTML a browser may
 * show as is. Safety comes from construction, not from cleaning up afterwards:
 * - `html: false`: raw HTML in the text is escaped, never passed through (no <script>, no onerror=);
 * - every link target (inline, reference, autolink, linkified) must be absolute http, https or mailto,
 *   so javascript:, data:, vbscript:, file: and relative tricks stay plain text;
 * - images are off: an <img> pointing elsewhere would leak the reader's IP address and read receipts;
 * - attribute values are escaped by markdown-it's renderer.
 */
const SAFE_LINK = /^(https?:\/\/|mailto:)/i;

const md = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: true });
md.disable(["image"]);
// normalizeLink has already percent-encoded the URL and decoded entities when this runs.
md.validateLink = (url: string) => SAFE_LINK.test(url.trim());

const defaultLinkOpen = md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  // Links leave the app: no referrer, no window.opener, no ranking for whatever a client pasted.
  tokens[idx]!.attrSet("rel", "nofollow noopener noreferrer");
  tokens[idx]!.attrSet("target", "_blank");
  return defaultLinkOpen(tokens, idx, options, env, self);
};

/** Safe HTML for a piece of user-written markdown. */
export function renderMarkdown(text: string): string {
  return md.render(text);
}
