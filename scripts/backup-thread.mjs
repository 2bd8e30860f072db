// Worker-thread entry for scheduled backups (server/backup/scheduled-backup.ts, body in
// server/backup/backup-thread.ts). Plain JavaScript so
// Node can start it whatever loader the parent runs under (tsx, vitest); it loads the TypeScript
// itself, as scripts/opslayer.mjs does for the CLI.
import { register } from "tsx/esm/api";

register();
await import("../server/backup/backup-thread.ts");
