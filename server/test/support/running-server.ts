import { listenForOperator } from "../../process/control-socket";
import { controlSocketPath, holdDataDir } from "../../process/data-dir-lock";
import type { Instance } from "./instance";

/**
 * What server/main.ts does around a test instance: holds its DATA_DIR for its lifetime, publishes
 * its pid, port and key ids in server.json, and takes operator requests on the control socket.
 */
export async function runAsServer(instance: Instance) {
  const lock = holdDataDir(instance.dataDir, {
    port: Number(new URL(instance.url).port),
    keyIds: [instance.services.keys.master.hex],
  });
  const operator = await listenForOperator(instance.services, controlSocketPath(instance.dataDir));
  lock.publish({ controlSocket: controlSocketPath(instance.dataDir) });
  return {
    info: lock.info,
    async release() {
      await operator.close();
      lock.release();
    },
  };
}

/** What server/main.ts does at start: take DATA_DIR, or be refused ("started", or the error it was refused with). */
export function serverStart(dataDir: string): unknown {
  try {
    holdDataDir(dataDir).release();
    return "started";
  } catch (error) {
    return error;
  }
}
