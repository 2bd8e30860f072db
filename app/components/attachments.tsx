import { useRef, useState, type ChangeEvent } from "react";
import { useNavigation, useRevalidator } from "@remix-run/react";
import { FormMessage } from "~/components/form";
import { PostButton } from "~/components/post-button";
import { formatDateTime } from "~/lib/format";
import { useOrgAccess } from "~/lib/permissions";

export interface AttachmentItem {
  id: string;
  name: string;
  size: number;
  createdAt: number;
  downloadUrl: string;
}

/** The action intent the delete buttons submit; the page's action answers it with `{ intent: "file", … }`. */
export const FILE_DELETE_INTENT = "file-delete";

export function formatBytes(n: number) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
  return `${(n / (1024 * 1024 * 1024)).toFixed(1)} GB`;
}

/** A readable sentence for a failed upload: the server's own message when it sent one. */
async function uploadError(res: Response): Promise<string> {
  const body = (await res.json().catch(() => null)) as { error?: { message?: unknown } } | null;
  const message = typeof body?.error?.message === "string" ? body.error.message : null;
  if (res.status === 413) return message ?? "The file is too large, or the organisation's storage quota is full.";
  if (res.status === 415) return message ?? "This type of file cannot be attached.";
  if (res.status === 401) return "Your session has ended. Please log in again.";
  return message ?? `The upload failed (HTTP ${res.status}).`;
}

/**
 * A task's, project's or invoice's attachments: download links, delete buttons (file.delete) and an
 * upload control (file.upload). The file's raw bytes are POSTed to /api/files/upload from the
 * browser (same origin, so the Origin check passes), then the page's loaders run again.
 */
export function Attachments(props: {
  org: string;
  targetType: "task" | "project" | "invoice";
  targetId: string;
  files: readonly AttachmentItem[];
  result?: unknown;
}) {
  const { org, targetType, targetId, files } = props;
  const access = useOrgAccess();
  const revalidator = useRevalidator();
  const navigation = useNavigation();
  const input = useRef<HTMLInputElement>(null);
  const [uploading, setUploading] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const deleting = navigation.formData?.get("intent") === FILE_DELETE_INTENT ? navigation.formData.get("fileId") : null;

  async function onChange(event: ChangeEvent<HTMLInputElement>) {
    const file = event.currentTarget.files?.[0];
    if (!file) return;
    setError(null);
    setUploading(file.name);
    try {
      const query = new URLSearchParams({ org, target: targetType, id: targetId, name: file.name });
      const res = await fetch(`/api/files/upload?${query}`, { method: "POST", body: file, credentials: "same-origin" });
      if (!res.ok) setError(`${file.name}: ${await uploadError(res)}`);
      else revalidator.revalidate();
    } catch {
      setError(`${file.name}: the upload did not reach the server. Check your connection and try again.`);
    } finally {
      setUploading(null);
      if (input.current) input.current.value = "";
    }
  }

  const canDelete = access.can("file.delete");
  return (
    <section aria-label="Attachments">
      <h2>Attachments</h2>
      <FormMessage result={props.result} />
      {files.length === 0 ? (
        <p className="muted">No files attached.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Size</th>
              <th>Uploaded</th>
              {canDelete && <th aria-label="Actions" />}
            </tr>
          </thead>
          <tbody>
            {files.map((f) => (
              <tr key={f.id}>
                <td>
                  <a href={f.downloadUrl} download={f.name} rel="noreferrer">
                    {f.name}
                  </a>
                </td>
                <td>{formatBytes(f.size)}</td>
                <td>{formatDateTime(f.createdAt)}</td>
                {canDelete && (
                  <td>
                    <PostButton
                      fields={{ intent: FILE_DELETE_INTENT, fileId: f.id }}
                      disabled={deleting === f.id}
                      ariaLabel={`Delete ${f.name}`}
                      preventScrollReset
                    >
                      {deleting === f.id ? "Deleting…" : "Delete"}
                    </PostButton>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {access.can("file.upload") && (
        <div className="field">
          <label htmlFor={`upload-${targetId}`}>Attach a file</label>
          <input
            id={`upload-${targetId}`}
            ref={input}
            type="file"
            onChange={(event) => void onChange(event)}
            disabled={uploading !== null}
            aria-describedby={error ? `upload-${targetId}-error` : undefined}
          />
          {uploading && <small className="hint">Uploading {uploading}…</small>}
          {error && (
            <p role="alert" id={`upload-${targetId}-error`} className="form-error">
              {error}
            </p>
          )}
        </div>
      )}
    </section>
  );
}
