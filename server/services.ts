import { openControlDb, type ControlDb } from "../db/control/open";
import { TenantPool } from "../db/pool";
import { createLucia, type Auth } from "./auth/lucia";
import { LoginThrottle } from "./auth/throttle";
import { systemClock, type Clock } from "./clock";
import type { Config } from "./config";
import { Keyring } from "./crypto/keys";
import { assertEveryWrappedKeyLoaded, loadMasterKeyRing } from "./crypto/master-key-ring";
import { createMailer, type Mailer } from "./email/mailer";
import { currentRequestId } from "./http/request-id";
import { DiskState } from "./storage/disk-state";
import { emailOperators } from "./storage/notify-operators";
import { WebhookDispatcher, type DispatcherOptions } from "./webhooks/dispatcher";

/** Everything a request needs, made once per process and passed down; no module-level singletons. */
export interface Services {
  config: Config;
  control: ControlDb;
  pool: TenantPool;
  auth: Auth;
  throttle: LoginThrottle;
  mailer: Mailer;
  clock: Clock;
  /** Master key and per-organisation data keys (server/crypto/keys.ts). */
  keys: Keyring;
  /** Sends outgoing webhook deliveries off the request path (server/webhooks/dispatcher.ts). */
  webhooks: WebhookDispatcher;
  /** Free space, the ballast and the disk-full episode of DATA_DIR (server/storage/disk-state.ts). */
  disk: DiskState;
  log: (line: string) => void;
  close(): Promise<void>;
}

export async function createServices(
  config: Config,
  overrides: { clock?: Clock; mailer?: Mailer; log?: (line: string) => void; webhooks?: Partial<DispatcherOptions> } = {},
): Promise<Services> {
  const write = overrides.log ?? ((line: string) => console.log(line));
  const log = (line: string) => write(withRequestTag(line));
  const clock = overrides.clock ?? systemClock;
  const control = await openControlDb(config.dataDir, config.synchronous);
  let keys: Keyring;
  try {
    const { ring, created } = await loadMasterKeyRing(config, control);
    if (created) log(`[keys] created master key file ${config.masterKeyFile} (key id ${ring.current.hex}); back it up apart from DATA_DIR`);
    // Refuse now, naming the missing key, rather than answer 500 for every file of its organisations.
    await assertEveryWrappedKeyLoaded(control, ring);
    keys = new Keyring(control, ring);
  } catch (error) {
    await control.destroy();
    throw error;
  }
  const pool = new TenantPool({ dataDir: config.dataDir, size: config.tenantPoolSize, synchronous: config.synchronous });
  const auth = createLucia(control, config);
  const mailer = overrides.mailer ?? createMailer(config, log);
  const webhooks = new WebhookDispatcher({ config, control, pool, keys, mailer, clock, log }, overrides.webhooks);
  const disk = new DiskState({
    dataDir: config.dataDir,
    ballastBytes: config.diskBallastBytes,
    watermarkPercent: config.diskWatermarkPercent,
    log,
    now: () => clock.now(),
    notify: async (summary) => {
      await emailOperators(
        { control, mailer, supportEmail: config.supportEmail, log },
        "opslayer: the server's storage is full",
        `${summary}\n`,
      );
    },
  });
  const services: Services = {
    config,
    control,
    pool,
    auth,
    throttle: new LoginThrottle(clock, config.loginMaxFailures),
    mailer,
    clock,
    keys,
    webhooks,
    disk,
    log,
    async close() {
      await disk.settled();
      await webhooks.close();
      await pool.closeAll();
      await control.destroy();
    },
  };
  webhooks.start();
  return services;
}

/** A line written while a request is being served names it on its first line (X-Request-Id), so a report can be matched with the log. */
function withRequestTag(line: string) {
  const id = currentRequestId();
  if (!id) return line;
  const end = line.indexOf("\n");
  return end < 0 ? `${line} [request ${id}]` : `${line.slice(0, end)} [request ${id}]${line.slice(end)}`;
}

/** The public origin links in emails point at: APP_URL, else what the request came to. */
export function publicOrigin(services: Services, requestOrigin: string) {
  return services.config.appUrl ?? requestOrigin;
}
