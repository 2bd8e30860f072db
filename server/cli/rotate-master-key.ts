import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parseCliArgs } from "./cli-input";
import { createKeyFile, masterKeyFromBase64, readKeyFile, type MasterKey } from "../crypto/keys";
import { rotateMasterKey } from "../crypto/rotation";
import { CliError, type CliContext, type Command } from "./command";
import { holdDataDir, runningServer, type RunningServer as ServerOnDataDir } from "../process/data-dir-lock";
import { progressOnDemand } from "./progress";

const ROTATE_USAGE = `npm run cli -- rotate-master-key [--new-key-file <path> | with NEW_MASTER_KEY set]

Rewraps every organisation's data key with the target master key: the current one (MASTER_KEY /
MASTER_KEY_FILE) when no new key is given. Each data key is unwrapped with whichever loaded key
wrapped it (the current one, MASTER_KEY_PREVIOUS_FILE, the *.key files in MASTER_KEY_DIR). No
organisation data is read or rewritten; it runs in short batches and can be rerun.

Online, with the server running (nothing to stop):
  1. Make the new key current and keep the old one in the ring, then restart the server:
       MASTER_KEY_FILE=./secrets/master-2.key   (created 0600 on start if missing)
       MASTER_KEY_PREVIOUS_FILE=./secrets/master.key
  2. Run rotate-master-key with that same environment.
  3. Once every key is under the new one, the old key may leave the ring at a later restart (the
     server refuses to start while a data key still needs it). Keep it as long as you may restore
     a backup taken before the rotation.
A running server that has not loaded the target key is refused: its files would answer 500.

Offline: --new-key-file <path> (created 0600 if missing) or NEW_MASTER_KEY rewraps to that key;
then make it MASTER_KEY_FILE / MASTER_KEY, keep the old one as MASTER_KEY_PREVIOUS_FILE, and start.`;

/** What rotation needs to know about a server running on the same DATA_DIR. */
export type RunningServer = Pick<ServerOnDataDir, "pid" | "port" | "keyIds">;

export type FindRunningServer = (dataDir: string) => RunningServer | null | Promise<RunningServer | null>;

/**
 * A server that cannot unwrap the target key would answer 500 for every organisation the moment its
 * key is rewrapped: refuse, naming the server and what to do.
 */
export function refuseUnlessServerHasKey(server: RunningServer | null, target: MasterKey) {
  if (!server || server.keyIds.includes(target.hex)) return;
  throw new CliError(
    `A server is running on this DATA_DIR (pid ${server.pid ?? "not yet published"}${server.port === null ? "" : `, port ${server.port}`}) without master key ${target.hex} ` +
      `(it has loaded ${server.keyIds.join(", ") || "no key"}); rewrapping now would make its files answer 500. ` +
      `Restart it with that key in its ring (as MASTER_KEY_FILE, with the old key as MASTER_KEY_PREVIOUS_FILE), then run rotate-master-key again.`,
  );
}

export function makeRotateMasterKeyCommand(findRunningServer: FindRunningServer): Command {
  return {
    summary: "rewrap every organisation's data key with the current (or a new) master key; safe while the server runs",
    usage: ROTATE_USAGE,
    async run(ctx) {
      const { values } = parseCliArgs(ctx.args, { "new-key-file": { type: "string" } });
      const file = values["new-key-file"];
      const env = ctx.config.newMasterKey;
      if (file && env) throw new Error("give the new master key either as NEW_MASTER_KEY or --new-key-file, not both");
      let target: MasterKey | null = null;
      if (file) {
        const path = resolve(file);
        const created = existsSync(path) ? null : createKeyFile(path);
        target = created ?? readKeyFile(path, "--new-key-file");
        if (created) console.log(`Created ${path} with a new master key (key id ${target.hex}).`);
      } else if (env) {
        target = masterKeyFromBase64(env, "NEW_MASTER_KEY");
      }
      const server = await findRunningServer(ctx.config.dataDir);
      // With no server running, DATA_DIR is held until the rewrap ends: a server started meanwhile
      // without the target key would check its wrapped keys at start, then answer 500 once rewrapped.
      const lock = server ? null : holdDataDir(ctx.config.dataDir, { command: "rotate-master-key" });
      try {
        refuseUnlessServerHasKey(server, target ?? (await ctx.services()).keys.master);
        await rewrap(ctx, target, file);
      } finally {
        lock?.release();
      }
    },
  };
}

async function rewrap(ctx: CliContext, target: MasterKey | null, file: string | undefined) {
  const services = await ctx.services();
  const current = services.keys.master;
  target ??= current;

  const started = performance.now();
  const bar = progressOnDemand("rewrapping");
  const result = await rotateMasterKey(services.control, services.keys.ring, target, (done, total, tenant) =>
    bar.update(done, total, tenant),
  ).finally(() => bar.stop());
  console.log(
    `Rewrapped ${result.rewrapped} organisation data keys to master key ${target.hex}; ${result.alreadyCurrent} already were` +
      (result.withoutKey ? ` (${result.withoutKey} without a key yet; they get one on first use).` : ".") +
      ` Took ${((performance.now() - started) / 1000).toFixed(1)} s.`,
  );
  if (target.hex === current.hex) {
    const previous = services.keys.loadedIds.filter((id) => id !== current.hex);
    if (previous.length)
      console.log(
        `No data key needs ${previous.join(", ")} any more; keep ${previous.length === 1 ? "it" : "them"} in the ring while backups taken under ${previous.length === 1 ? "it" : "them"} may be restored.`,
      );
    return;
  }
  const old = ctx.config.masterKeyFile
    ? `MASTER_KEY_PREVIOUS_FILE=${ctx.config.masterKeyFile}`
    : "the old MASTER_KEY in a file named by MASTER_KEY_PREVIOUS_FILE";
  console.log(
    `Now make it current: set ${file ? `MASTER_KEY_FILE=${resolve(file)}` : "MASTER_KEY to the value of NEW_MASTER_KEY"}, keep ${old} (or in MASTER_KEY_DIR), and restart the server.`,
  );
}

export const rotateMasterKeyCommand = makeRotateMasterKeyCommand(runningServer);
