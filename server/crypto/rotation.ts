import type { ControlDb } from "../../db/control/open";
import { ringKeys, unwrapWithRing, wrapDataKey, wrappedKekId, type MasterKey, type MasterKeyRing } from "./keys";

export interface RotationResult {
  /** Data keys rewrapped by this run. */
  rewrapped: number;
  /** Data keys that were already under the target key (verified, kept). */
  alreadyCurrent: number;
  /** Organisations without a data key (they get one, from the server's current key, on first use). */
  withoutKey: number;
}

/** Rows per control transaction: each holds the write lock only for a few milliseconds, so logins and sign-ups carry on. */
const BATCH = 200;
/** Passes over the table: a later pass catches keys written by someone else during the earlier one. */
const PASSES = 3;

/**
 * Rewraps every organisation's data key that is not under `target` with `target`, unwrapping each
 * with whichever ring key it names. Each new value is unwrapped again and compared before it is
 * written, and written only if the row still holds the value read (a server giving a key to a new
 * organisation at the same moment keeps its own). Runs in short batches rather than one transaction:
 * every value is readable by the ring at every moment, so a batch that fails leaves nothing broken
 * and a rerun carries on. Data files are not touched.
 *
 * Throws when a key names a master key the ring lacks (nothing of that row changes), and when keys
 * under other master keys remain after the last pass (a process wrapping with another current key
 * is running; rerun once it is restarted).
 */
export async function rotateMasterKey(
  control: ControlDb,
  ring: MasterKeyRing,
  target: MasterKey,
  onProgress: (done: number, total: number, tenantId: string) => void = () => {},
): Promise<RotationResult> {
  const keys = { current: target, previous: ringKeys(ring) };
  const result: RotationResult = { rewrapped: 0, alreadyCurrent: 0, withoutKey: 0 };
  for (let pass = 0; pass < PASSES; pass++) {
    const ids = (await control.selectFrom("tenants").select("id").orderBy("id").execute()).map((r) => r.id);
    let done = 0;
    let changed = 0;
    const counts = { alreadyCurrent: 0, withoutKey: 0 };
    for (let i = 0; i < ids.length; i += BATCH) {
      const batch = ids.slice(i, i + BATCH);
      changed += await control.transaction().execute(async (trx) => {
        const rows = await trx.selectFrom("tenants").select(["id", "wrapped_key"]).where("id", "in", batch).orderBy("id").execute();
        let n = 0;
        for (const row of rows) {
          onProgress(done++, ids.length, row.id);
          if (row.wrapped_key === null) {
            counts.withoutKey++;
            continue;
          }
          if (wrappedKekId(row.wrapped_key) === target.hex) {
            unwrapWithRing(keys, row.id, row.wrapped_key);
            counts.alreadyCurrent++;
            continue;
          }
          const dek = unwrapWithRing(keys, row.id, row.wrapped_key);
          const next = wrapDataKey(target, row.id, dek.key);
          if (!unwrapWithRing(keys, row.id, next).key.equals(dek.key)) throw new Error(`rewrap check failed for ${row.id}`);
          const written = await trx
            .updateTable("tenants")
            .set({ wrapped_key: next })
            .where("id", "=", row.id)
            .where("wrapped_key", "=", row.wrapped_key)
            .executeTakeFirst();
          n += Number(written.numUpdatedRows);
        }
        return n;
      });
    }
    onProgress(ids.length, ids.length, "");
    // A later pass also finds what the earlier ones rewrapped under the target: those are not "already current".
    result.alreadyCurrent = counts.alreadyCurrent - result.rewrapped;
    result.rewrapped += changed;
    result.withoutKey = counts.withoutKey;
    if (changed === 0) return result;
  }
  const stragglers = await control.selectFrom("tenants").select(["slug", "wrapped_key"]).where("wrapped_key", "is not", null).execute();
  const left = stragglers.filter((r) => wrappedKekId(r.wrapped_key!) !== target.hex);
  if (left.length === 0) return result;
  throw new Error(
    `${left.length} organisation data key(s) are still wrapped by another master key after ${PASSES} passes (${left
      .slice(0, 5)
      .map((r) => r.slug)
      .join(
        ", ",
      )}): a process with another current master key keeps creating them. Restart it with the new key as current and run rotate-master-key again.`,
  );
}
