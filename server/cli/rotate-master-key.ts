import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parseCliArgs } from "./cli-input";
import { createKeyFile, masterKeyFromBase64, readKeyFile, rotateMasterKey, type MasterKey } from "../crypto/keys";
import type { Command } from "./command";
import { progressOnDemand } from "./progress";

const ROTATE_USAGE = `npm run cli -- rotate-master-key (--new-key-file <path> | with NEW_MASTER_KEY set)

Rewraps every organisation's data key from the current master key (MASTER_KEY / MASTER_KEY_FILE)
to the new one, in one transaction; no organisation data is read or rewritten. A --new-key-file
that does not exist is created (0600) with a fresh key. Afterwards point MASTER_KEY or
MASTER_KEY_FILE at the new key and restart the server; the old key no longer unwraps anything.`;

/** Stop the server first: a running one holds the old master key and could not unwrap rewrapped keys. */
export const rotateMasterKeyCommand: Command = {
  summary: "rewrap every organisation's data key with a new master key",
  usage: ROTATE_USAGE,
  async run(ctx) {
    const { values } = parseCliArgs(ctx.args, { "new-key-file": { type: "string" } });
    const services = await ctx.services();
    const file = values["new-key-file"];
    const env = services.config.newMasterKey;
    if (file && env) throw new Error("give the new master key either as NEW_MASTER_KEY or --new-key-file, not both");
    if (!file && !env) throw new Error(`rotate-master-key needs the new master key.\n\n${ROTATE_USAGE}`);
    let next: MasterKey;
    if (file) {
      const path = resolve(file);
      const created = existsSync(path) ? null : createKeyFile(path);
      next = created ?? readKeyFile(path, "--new-key-file");
      if (created) console.log(`Created ${path} with a new master key (key id ${next.hex}).`);
    } else {
      next = masterKeyFromBase64(env!, "NEW_MASTER_KEY");
    }
    const current = services.keys.master;

    const bar = progressOnDemand("rewrapping");
    const result = await rotateMasterKey(services.control, current, next, (done, total, tenant) => bar.update(done, total, tenant)).finally(
      () => bar.stop(),
    );
    console.log(
      `Rewrapped ${result.rewrapped} organisation data keys from master key ${current.hex} to ${next.hex}` +
        (result.withoutKey ? ` (${result.withoutKey} without a key yet; they get one on first use).` : "."),
    );
    console.log(
      `Now set ${file ? `MASTER_KEY_FILE=${resolve(file)}` : "MASTER_KEY to the value of NEW_MASTER_KEY"} and restart the server; keep the old key only until the new one is backed up.`,
    );
  },
};
