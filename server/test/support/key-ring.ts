import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { orgWithProject } from "./world";
import { Client } from "./client";
import type { Instance } from "./instance";
import { runTsx } from "./run-tsx";

/** Helpers for the master-key ring tests: organisations with an attachment, over real HTTP, across restarts. */

export const keyPath = (dataDir: string, name: string) => join(dataDir, "secrets", `${name}.key`);

export async function uploadTo(client: Client, org: string, projectId: string, data: Buffer) {
  const q = new URLSearchParams({ org, target: "project", id: projectId, name: "report.png" });
  const res = await fetch(`${client.baseUrl}/api/files/upload?${q}`, {
    method: "POST",
    body: new Uint8Array(data),
    headers: { cookie: client.cookieHeader(), origin: client.baseUrl, "content-type": "application/octet-stream" },
  });
  const json = (await res.json().catch(() => ({}))) as { file?: { id: string } };
  return { status: res.status, id: json.file?.id ?? null };
}

export async function downloadFrom(client: Client, org: string, id: string) {
  const res = await fetch(`${client.baseUrl}/api/files/${id}?${new URLSearchParams({ org })}`, {
    headers: { cookie: client.cookieHeader() },
  });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Random bytes behind a PNG signature: the upload route accepts only types it recognises. */
export function pngLike(bytes: number) {
  return Buffer.concat([PNG, randomBytes(bytes)]);
}

export interface OrgWithFile {
  slug: string;
  tenantId: string;
  client: Client;
  projectId: string;
  /** Every attachment acknowledged (201) with the bytes sent. */
  files: { id: string; data: Buffer }[];
}

/** An organisation with a project and one attachment, made through the API. */
export async function orgWithFile(instance: Instance, slug: string): Promise<OrgWithFile> {
  const owner = await orgWithProject(instance, slug);
  const data = pngLike(3000);
  const up = await uploadTo(owner.client, slug, owner.projectId, data);
  if (up.status !== 201) throw new Error(`upload to ${slug}: ${up.status}`);
  return { slug, tenantId: owner.tenantId, client: owner.client, projectId: owner.projectId, files: [{ id: up.id!, data }] };
}

/** The same signed-in person pointed at a restarted server (new port, same session in the control DB). */
export function follow(org: OrgWithFile, instance: Instance): OrgWithFile {
  const client = new Client(instance.url);
  client.cookies = new Map(org.client.cookies);
  return { ...org, client };
}

/** Downloads every acknowledged attachment; returns the ones that did not come back byte for byte (with the status). */
export async function unreadable(orgs: OrgWithFile[]) {
  const bad: string[] = [];
  for (const org of orgs) {
    for (const f of org.files) {
      const res = await downloadFrom(org.client, org.slug, f.id);
      if (res.status !== 200 || !res.body.equals(f.data)) bad.push(`${org.slug}/${f.id}: ${res.status}`);
    }
  }
  return bad;
}

/** Key settings only: nothing inherited from the test runner's environment may pick the key. */
export function keyEnv(dataDir: string, keys: { current: string; previous?: string; dir?: string }) {
  return {
    NODE_ENV: "test",
    DATA_DIR: dataDir,
    MASTER_KEY: "",
    MASTER_KEY_FILE: keys.current,
    MASTER_KEY_PREVIOUS_FILE: keys.previous ?? "",
    MASTER_KEY_DIR: keys.dir ?? "",
    NEW_MASTER_KEY: "",
  };
}

/** The operator CLI as its own process, as an operator runs it beside the server. */
export function cli(args: string[], env: Record<string, string>) {
  return runTsx("server/cli/main.ts", args, { env: { ...process.env, ...env }, timeoutMs: 120_000 });
}
