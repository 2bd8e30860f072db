import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createUser } from "../auth/accounts";
import { newId, newToken } from "../auth/tokens";
import { loadConfig } from "../config";
import { createHttpServer } from "../http/server";
import { createServices } from "../services";
import { createTenant } from "../tenants/create-tenant";

export const CLIENTS = 200;

export function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

export function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * A throwaway data dir with one verified user, one organisation holding CLIENTS clients and two
 * projects each, the real HTTP server listening on 127.0.0.1, and a session cookie from a real login.
 */
export async function startSeededApp() {
  const dataDir = mkdtempSync(join(tmpdir(), "opslayer-bench-"));
  const config = loadConfig({
    ...process.env,
    DATA_DIR: dataDir,
    NODE_ENV: "test",
    PORT: "0",
    HOST: "127.0.0.1",
    APP_URL: "http://127.0.0.1",
  });
  const services = await createServices(config, { log: () => {} });
  const app = createHttpServer(services);
  const cleanup = async () => {
    if (app.listening) await close(app);
    await services.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const appUrl = `http://127.0.0.1:${await listen(app)}`;
    const email = "bench@example.test";
    const password = newToken();
    const user = await createUser(services, { name: "Bench User", email, password, verified: true, isStaff: false });
    const org = await createTenant(services, user, { name: "Bench Org", slug: "bench-org" }, { ip: "127.0.0.1", userAgent: "bench" });

    // Seeding through the pool rather than tRPC: it is setup, not what is being measured.
    const lease = await services.pool.acquire(org.id);
    try {
      const now = Date.now();
      await lease.db.transaction().execute(async (trx) => {
        for (let i = 0; i < CLIENTS; i++) {
          const clientId = newId("c");
          await trx
            .insertInto("clients")
            .values({
              id: clientId,
              name: `Client ${i}`,
              contact_email: null,
              notes: "",
              archived_at: null,
              created_at: now,
              updated_at: now,
            })
            .execute();
          for (let j = 0; j < 2; j++) {
            await trx
              .insertInto("projects")
              .values({
                id: newId("p"),
                client_id: clientId,
                name: `Project ${(i * 7919 + j * 104729) % 1000}`,
                code: `B${i}X${j}`,
                status: "active",
                hourly_rate: 12_500,
                budget_seconds: 360_000,
                // Some archived rows, so the archived_at filter has something to drop.
                archived_at: i % 10 === 0 ? now : null,
                created_at: now,
                updated_at: now,
              })
              .execute();
          }
        }
      });
    } finally {
      lease.release();
    }

    // APP_URL is set, so the CSRF check compares Origin with it, not with host:port.
    const login = await fetch(`${appUrl}/api/trpc/auth.login`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: config.appUrl ?? appUrl },
      body: JSON.stringify({ email, password }),
    });
    const cookie = login.headers.getSetCookie()[0]?.split(";")[0];
    if (login.status !== 200 || !cookie) throw new Error(`login failed: ${login.status} ${await login.text()}`);

    return { dataDir, config, services, app, appUrl, user, org, cookie, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
