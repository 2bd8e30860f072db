import type { Command } from "./command";

interface Entry {
  summary: string;
  /** Loaded on use, so `--help` and quick commands do not pay for every module's imports. */
  load(): Promise<Command>;
}

/** Every operator command; `npm run cli -- <name> --help` shows one's options. */
export const commands: Record<string, Entry> = {
  tenant: { summary: "organisations: list, create, close, restore", load: async () => (await import("./tenant")).tenantCommand },
  user: { summary: "accounts: create-staff, reset-password, delete", load: async () => (await import("./user")).userCommand },
  migrate: {
    summary: "migrate --all: upgrade every organisation file now",
    load: async () => (await import("./migrate-all")).migrateCommand,
  },
  backup: { summary: "online backup of the control DB and every organisation", load: async () => (await import("./backup")).backupCommand },
  restore: { summary: "restore one organisation or everything from a backup", load: async () => (await import("./backup")).restoreCommand },
  export: {
    summary: "export an organisation to a ZIP of JSON tables and files",
    load: async () => (await import("./export")).exportCommand,
  },
  import: { summary: "import an organisation export as a new organisation", load: async () => (await import("./import")).importCommand },
  purge: {
    summary: "destroy organisations past their grace period and run retention now",
    load: async () => (await import("./purge")).purgeCommand,
  },
  files: {
    summary: "attachments: sweep orphan rows and stored files",
    load: async () => (await import("./files")).filesCommand,
  },
  grants: { summary: "support access grants: list, revoke", load: async () => (await import("./grants")).grantsCommand },
  "rotate-master-key": {
    summary: "rewrap every organisation's data key with the current (or a new) master key; safe while the server runs",
    load: async () => (await import("./rotate-master-key")).rotateMasterKeyCommand,
  },
};
