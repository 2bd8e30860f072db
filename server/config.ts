import { join, resolve } from "node:path";
import { z } from "zod";

const hours = (fallback: number) =>
  z.coerce
    .number()
    .positive()
    .max(24 * 365)
    .default(fallback);

/** 32 bytes as standard base64 (44 characters ending in "="); the message never echoes the value. */
const base64Key = z
  .string()
  .trim()
  .refine((v) => /^[A-Za-z0-9+/]{43}=$/.test(v), "must be the base64 encoding of exactly 32 bytes (e.g. openssl rand -base64 32)");

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("production"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  DATA_DIR: z.string().min(1).default("./data"),
  APP_URL: z.url({ protocol: /^https?$/ }).optional(),
  TRUST_PROXY: z.enum(["true", "false"]).default("false"),
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  MAIL_FROM: z.string().min(3).default("opslayer <no-reply@localhost>"),
  SUPPORT_EMAIL: z.email().optional(),
  SESSION_IDLE_HOURS: hours(24 * 7),
  SESSION_ABSOLUTE_HOURS: hours(24 * 30),
  TENANT_POOL_SIZE: z.coerce.number().int().min(1).max(10_000).default(64),
  SQLITE_SYNCHRONOUS: z.enum(["FULL", "NORMAL"]).default("FULL"),
  LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(100).default(5),
  MASTER_KEY: base64Key.optional(),
  MASTER_KEY_FILE: z.string().min(1).optional(),
  MASTER_KEY_PREVIOUS_FILE: z.string().min(1).optional(),
  MASTER_KEY_DIR: z.string().min(1).optional(),
  NEW_MASTER_KEY: base64Key.optional(),
  FILE_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(2 ** 40)
    .default(100 * 1024 * 1024),
  ORG_QUOTA_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .max(2 ** 50)
    .default(2 * 1024 ** 3),
  ORG_GRACE_DAYS: z.coerce.number().int().min(0).max(3650).default(30),
  SECURITY_LOG_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  EXPORT_LINK_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 30)
    .default(24),
  BACKUP_DIR: z.string().min(1).optional(),
  BACKUP_KEEP: z.coerce.number().int().min(1).max(1000).default(7),
  BACKUP_CRON: z.string().min(9).optional(),
  JOBS: z.enum(["on", "off"]).optional(),
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().min(0).max(300).default(5),
  METRICS_TOKEN: z.string().trim().min(16, "must be at least 16 characters (e.g. openssl rand -hex 32)").optional(),
  DISK_BALLAST_MB: z.coerce.number().int().min(0).max(1_048_576).default(64),
  DISK_WATERMARK_PERCENT: z.coerce.number().min(0).max(50).default(5),
  DATE_MIN_YEAR: z.coerce.number().int().min(1000).max(9999).default(2000),
  DATE_MAX_YEAR: z.coerce.number().int().min(1000).max(9999).default(2100),
});

export type Config = {
  env: "development" | "production" | "test";
  port: number;
  host: string;
  dataDir: string;
  appUrl: string | null;
  trustProxy: boolean;
  smtpUrl: string | null;
  mailFrom: string;
  /** Where support-access links can be mailed when an organisation grants access. */
  supportEmail: string | null;
  sessionIdleMs: number;
  sessionAbsoluteMs: number;
  tenantPoolSize: number;
  synchronous: "FULL" | "NORMAL";
  loginMaxFailures: number;
  /** Cookies get Secure and the __Host- prefix only when the public URL is https. */
  secureCookies: boolean;
  /** Base64 master key (KEK) from MASTER_KEY; when null the key file is used. */
  masterKey: string | null;
  /**
   * Absolute path of the master key file, created (0600) on first run: MASTER_KEY_FILE, default
   * `./secrets/master.key` from the working directory (outside DATA_DIR). With NODE_ENV=test it
   * defaults to `<DATA_DIR>/test-master.key`, so throwaway instances clean up after themselves.
   * Null when MASTER_KEY is set.
   */
  masterKeyFile: string | null;
  /**
   * MASTER_KEY_PREVIOUS_FILE (absolute): an earlier master key kept in the ring to unwrap data keys
   * it wrapped (during a rotation, or for an old backup); it never wraps new ones.
   */
  masterKeyPreviousFile: string | null;
  /** MASTER_KEY_DIR (absolute): every `*.key` file in it joins the ring as a previous key. */
  masterKeyDir: string | null;
  /** NEW_MASTER_KEY: only read by `rotate-master-key`. */
  newMasterKey: string | null;
  /** FILE_MAX_BYTES: the largest attachment accepted, in bytes. */
  fileMaxBytes: number;
  /** ORG_QUOTA_BYTES: attachment bytes one organisation may store in total. */
  orgQuotaBytes: number;
  /** ORG_GRACE_DAYS: how long a terminated organisation can be restored before its file and key are destroyed. */
  orgGraceMs: number;
  /** SECURITY_LOG_RETENTION_DAYS: platform security log and job-run rows older than this are purged. */
  securityLogRetentionMs: number;
  /** EXPORT_LINK_HOURS: how long a finished organisation export can be downloaded. */
  exportLinkMs: number;
  /** BACKUP_DIR (default <DATA_DIR>/backups): where `backup` writes; keep it on another disk in production. */
  backupDir: string;
  /** BACKUP_KEEP: backups kept per organisation (and of the control DB); older ones are deleted. */
  backupKeep: number;
  /** BACKUP_CRON: cron expression for scheduled backups (e.g. "30 2 * * *"); unset = none. */
  backupCron: string | null;
  /** JOBS: run the in-process scheduler (retention, digests, terminations, backups). Off by default under NODE_ENV=test. */
  jobs: boolean;
  /** SHUTDOWN_GRACE_SECONDS: on a stop signal or a crash, how long requests in flight may take to finish before their connections are cut. */
  shutdownGraceMs: number;
  /** METRICS_TOKEN: when set, /metrics answers anyone presenting it as a Bearer token; when null, only loopback clients not behind a proxy. */
  metricsToken: string | null;
  /** DISK_BALLAST_MB in bytes: room kept in DATA_DIR and given back when the disk fills; 0 = none. */
  diskBallastBytes: number;
  /** DISK_WATERMARK_PERCENT: under this share of free space on DATA_DIR's disk, large writes are refused. */
  diskWatermarkPercent: number;
  /** DATE_MIN_YEAR..DATE_MAX_YEAR: the years a time entry's or a report's dates may fall in (four digits, inclusive). */
  years: { min: number; max: number };
};

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Reads and validates the environment; empty strings count as unset so `FOO=` does not become a value. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const c = parsed.data;
  if (c.SESSION_ABSOLUTE_HOURS < c.SESSION_IDLE_HOURS) {
    throw new ConfigError("Invalid configuration:\n  SESSION_ABSOLUTE_HOURS: must be at least SESSION_IDLE_HOURS");
  }
  if (c.DATE_MAX_YEAR < c.DATE_MIN_YEAR) {
    throw new ConfigError("Invalid configuration:\n  DATE_MAX_YEAR: must be at least DATE_MIN_YEAR");
  }
  if (c.MASTER_KEY && c.MASTER_KEY_FILE) {
    throw new ConfigError("Invalid configuration:\n  MASTER_KEY_FILE: set either MASTER_KEY or MASTER_KEY_FILE, not both");
  }
  const appUrl = c.APP_URL ? new URL(c.APP_URL).origin : null;
  const dataDir = resolve(c.DATA_DIR);
  const defaultKeyFile = c.NODE_ENV === "test" ? join(dataDir, "test-master.key") : resolve("secrets/master.key");
  return {
    env: c.NODE_ENV,
    port: c.PORT,
    host: c.HOST,
    dataDir,
    appUrl,
    trustProxy: c.TRUST_PROXY === "true",
    smtpUrl: c.SMTP_URL ?? null,
    mailFrom: c.MAIL_FROM,
    supportEmail: c.SUPPORT_EMAIL ?? null,
    sessionIdleMs: c.SESSION_IDLE_HOURS * 3_600_000,
    sessionAbsoluteMs: c.SESSION_ABSOLUTE_HOURS * 3_600_000,
    tenantPoolSize: c.TENANT_POOL_SIZE,
    synchronous: c.SQLITE_SYNCHRONOUS,
    loginMaxFailures: c.LOGIN_MAX_FAILURES,
    secureCookies: appUrl?.startsWith("https:") ?? false,
    masterKey: c.MASTER_KEY ?? null,
    masterKeyFile: c.MASTER_KEY ? null : resolve(c.MASTER_KEY_FILE ?? defaultKeyFile),
    masterKeyPreviousFile: c.MASTER_KEY_PREVIOUS_FILE ? resolve(c.MASTER_KEY_PREVIOUS_FILE) : null,
    masterKeyDir: c.MASTER_KEY_DIR ? resolve(c.MASTER_KEY_DIR) : null,
    newMasterKey: c.NEW_MASTER_KEY ?? null,
    fileMaxBytes: c.FILE_MAX_BYTES,
    orgQuotaBytes: c.ORG_QUOTA_BYTES,
    orgGraceMs: c.ORG_GRACE_DAYS * 86_400_000,
    securityLogRetentionMs: c.SECURITY_LOG_RETENTION_DAYS * 86_400_000,
    exportLinkMs: c.EXPORT_LINK_HOURS * 3_600_000,
    backupDir: resolve(c.BACKUP_DIR ?? join(dataDir, "backups")),
    backupKeep: c.BACKUP_KEEP,
    backupCron: c.BACKUP_CRON ?? null,
    jobs: (c.JOBS ?? (c.NODE_ENV === "test" ? "off" : "on")) === "on",
    shutdownGraceMs: c.SHUTDOWN_GRACE_SECONDS * 1000,
    metricsToken: c.METRICS_TOKEN ?? null,
    diskBallastBytes: c.DISK_BALLAST_MB * 1024 * 1024,
    diskWatermarkPercent: c.DISK_WATERMARK_PERCENT,
    years: { min: c.DATE_MIN_YEAR, max: c.DATE_MAX_YEAR },
  };
}
