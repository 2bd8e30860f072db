import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { ControlDb } from "../../db/control/open";
import { ConfigError, type Config } from "../config";
import {
  KeyFileError,
  loadMasterKey,
  masterKeyFromBase64,
  readKeyFile,
  ringKeys,
  wrappedKekId,
  type MasterKey,
  type MasterKeyRing,
} from "./keys";

/**
 * The master key ring of one process: the current key (MASTER_KEY / MASTER_KEY_FILE) plus previous
 * keys (MASTER_KEY_PREVIOUS_FILE, every `*.key` in MASTER_KEY_DIR). A wrapped data key records its
 * KEK id, so any ring key unwraps what it wrapped and only the current one wraps; that is what lets a
 * rotation run while the server serves (docs/decisions/019-master-key-ring.md).
 */

type KeyConfig = Pick<Config, "masterKey" | "masterKeyFile" | "masterKeyPreviousFile" | "masterKeyDir">;

/** Previous keys, each file held to the same rules as the key file (regular, 0600, one base64 line). */
export function readPreviousKeys(config: KeyConfig): MasterKey[] {
  const keys: MasterKey[] = [];
  if (config.masterKeyPreviousFile) keys.push(readKeyFile(config.masterKeyPreviousFile, "MASTER_KEY_PREVIOUS_FILE"));
  if (config.masterKeyDir) {
    const dir = config.masterKeyDir;
    const fail = (why: string) => new KeyFileError(`Invalid configuration:\n  MASTER_KEY_DIR: ${dir} ${why}`);
    let stat;
    try {
      stat = lstatSync(dir);
    } catch (error) {
      throw fail(`cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`);
    }
    if (!stat.isDirectory()) throw fail("is not a directory");
    // Anyone who can write here can slip in a key the server would then trust for unwrapping.
    if ((stat.mode & 0o022) !== 0)
      throw fail(`is writable by group or others (mode ${(stat.mode & 0o777).toString(8)}); run chmod 700 on it`);
    for (const name of readdirSync(dir).sort()) {
      if (name.endsWith(".key")) keys.push(readKeyFile(join(dir, name), "MASTER_KEY_DIR"));
    }
  }
  return keys.filter((k, i) => keys.findIndex((o) => o.hex === k.hex) === i);
}

/** The ring a server or CLI process runs with; the key file is created on first run (see loadMasterKey). */
export async function loadMasterKeyRing(config: KeyConfig, control?: ControlDb): Promise<{ ring: MasterKeyRing; created: boolean }> {
  const previous = readPreviousKeys(config);
  const { key, created } = await loadMasterKey(config, control, previous);
  return { ring: { current: key, previous: previous.filter((k) => k.hex !== key.hex) }, created };
}

/**
 * Ids of the keys the configuration names, reading only (nothing is created): for commands that
 * check a backup against the ring before the server starts on it. A missing key file adds nothing.
 */
export function configuredKeyIds(config: KeyConfig): string[] {
  const ids = readPreviousKeys(config).map((k) => k.hex);
  if (config.masterKey) ids.unshift(masterKeyFromBase64(config.masterKey).hex);
  else if (config.masterKeyFile) {
    let exists = true;
    try {
      lstatSync(config.masterKeyFile);
    } catch {
      exists = false;
    }
    if (exists) ids.unshift(readKeyFile(config.masterKeyFile).hex);
  }
  return [...new Set(ids)];
}

export interface UnloadedKey {
  /** The KEK id recorded in the wrapped values, or null for values that are not v1 wrapped keys. */
  kekId: string | null;
  tenants: { id: string; slug: string }[];
}

/** Organisations whose wrapped data key names a master key outside `loadedIds`, grouped by that key. */
export function unloadedKeys(rows: { id: string; slug: string; wrapped_key: string | null }[], loadedIds: string[]): UnloadedKey[] {
  const loaded = new Set(loadedIds);
  const byKey = new Map<string | null, UnloadedKey>();
  for (const row of rows) {
    if (row.wrapped_key === null) continue;
    const kekId = wrappedKekId(row.wrapped_key);
    if (kekId !== null && loaded.has(kekId)) continue;
    let entry = byKey.get(kekId);
    if (!entry) byKey.set(kekId, (entry = { kekId, tenants: [] }));
    entry.tenants.push({ id: row.id, slug: row.slug });
  }
  return [...byKey.values()];
}

/** Refusal to start (or to restore) because some organisation's data key has no loaded master key. */
export class MasterKeyMissingError extends ConfigError {
  override name = "MasterKeyMissingError";
  constructor(
    message: string,
    readonly missing: UnloadedKey[],
  ) {
    super(message);
  }
}

const LISTED = 10;

function organisations(tenants: UnloadedKey["tenants"]) {
  const named = tenants.slice(0, LISTED).map((t) => `${t.slug} (${t.id})`);
  const more = tenants.length > LISTED ? `, and ${tenants.length - LISTED} more` : "";
  return `${tenants.length} organisation${tenants.length === 1 ? "" : "s"}: ${named.join(", ")}${more}`;
}

/** One line per missing key, naming it and whose data it holds, then what to do. */
export function describeUnloaded(missing: UnloadedKey[], loadedIds: string[], subject: string): string {
  const lines = missing.map((m) =>
    m.kekId === null
      ? `  ${subject} holds data keys that are not v1 wrapped keys for ${organisations(m.tenants)}`
      : `  master key ${m.kekId} is not loaded, but ${subject} needs it for the data keys of ${organisations(m.tenants)}`,
  );
  return (
    `Invalid configuration:\n${lines.join("\n")}\n` +
    `  Loaded master keys: ${loadedIds.length ? loadedIds.join(", ") : "none"}. Add the key named above to the ring ` +
    `(MASTER_KEY_PREVIOUS_FILE, or a *.key file in MASTER_KEY_DIR; or make it MASTER_KEY / MASTER_KEY_FILE); ` +
    `without it those organisations' attachments and secrets cannot be read.`
  );
}

/**
 * The start-up check: every wrapped data key names a loaded master key. Without it a server on the
 * wrong key (or after a rotation it did not follow) starts and answers 500 for every file.
 */
export async function assertEveryWrappedKeyLoaded(control: ControlDb, ring: MasterKeyRing) {
  const rows = await control.selectFrom("tenants").select(["id", "slug", "wrapped_key"]).where("wrapped_key", "is not", null).execute();
  const loadedIds = ringKeys(ring).map((k) => k.hex);
  const missing = unloadedKeys(rows, loadedIds);
  if (missing.length) throw new MasterKeyMissingError(describeUnloaded(missing, loadedIds, "the control database"), missing);
}

/**
 * Before `restore --all` puts a backed-up control database in place: the data keys in it must be
 * unwrappable by the configured ring, or the restored server would refuse to start. Names the key
 * ids the backup needs.
 */
export function assertBackupKeysLoaded(controlBackup: string, loadedIds: string[], label: string) {
  const db = new Database(controlBackup, { readonly: true, fileMustExist: true });
  let rows: { id: string; slug: string; wrapped_key: string | null }[];
  try {
    rows = db.prepare("select id, slug, wrapped_key from tenants where wrapped_key is not null order by slug").all() as typeof rows;
  } finally {
    db.close();
  }
  const missing = unloadedKeys(rows, loadedIds);
  if (missing.length) throw new MasterKeyMissingError(describeUnloaded(missing, loadedIds, `backup ${label}`), missing);
}
