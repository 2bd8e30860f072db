/**
 * A file for the browser to save, never to render: attachment, no caching, no sniffing. Callers
 * build filenames from slugs, report names and validated dates only, so nothing needs escaping.
 */
export function downloadResponse(file: { filename: string; contentType: string; content: string }) {
  return new Response(file.content, {
    headers: {
      "Content-Type": file.contentType,
      "Content-Disposition": `attachment; filename="${file.filename}"`,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}
