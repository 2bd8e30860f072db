import { holdDataDir } from "../../process/data-dir-lock";

/**
 * A stand-in server process for the lock tests: holds DATA_DIR (argv[2]) as server/main.ts does,
 * says "held" and waits to be killed; a kill -9 is the crash the kernel must clean up after.
 */
const lock = holdDataDir(process.argv[2]!, { port: Number(process.argv[3] ?? 0), keyIds: ["00112233aabbccdd"] });
process.stdout.write(`held ${lock.info.pid}\n`);
setInterval(() => undefined, 60_000);
