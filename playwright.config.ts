import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { defineConfig } from "@playwright/test";

/**
 * End-to-end tests in Debian's Chromium against the production build (`npm run test:e2e` builds
 * first), served by the real server on a fixed port with a brand-new DATA_DIR, so every run starts
 * on the first-run /setup page and email goes to $DATA_DIR/outbox/*.eml.
 */
const PORT = Number(process.env.E2E_PORT ?? 3210);
const ORIGIN = `http://127.0.0.1:${PORT}`;

/**
 * This file is evaluated by the runner and again by every worker process. The runner creates the
 * data directory; workers (its children) inherit E2E_DATA_DIR through the environment and must reuse
 * it, since that is where the server started by the runner writes the outbox. A value inherited from
 * an outer shell is ignored: each run gets a fresh directory.
 */
const ownedHere = process.env.E2E_DATA_DIR_OWNER === String(process.pid) || process.env.E2E_DATA_DIR_OWNER === String(process.ppid);
if (!ownedHere || !process.env.E2E_DATA_DIR) {
  const dir = mkdtempSync(join(tmpdir(), "opslayer-e2e-"));
  process.env.E2E_DATA_DIR = dir;
  process.env.E2E_DATA_DIR_OWNER = String(process.pid);
  // Runner only: remove the directory when everything (server included) has stopped, unless the run
  // failed or E2E_KEEP_DATA=1, in which case it is left for inspection.
  process.on("exit", (code) => {
    if (code === 0 && process.env.E2E_KEEP_DATA !== "1") rmSync(dir, { recursive: true, force: true });
    else console.error(`[e2e] data directory kept: ${dir}`);
  });
}
const DATA_DIR: string = process.env.E2E_DATA_DIR;

export default defineConfig({
  testDir: "e2e",
  testMatch: "*.spec.ts",
  // A sub-directory: Playwright empties its outputDir at start, and test-results/vitest.json must survive.
  outputDir: "test-results/e2e",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"], ["json", { outputFile: "test-results/playwright.json" }]],
  use: {
    baseURL: ORIGIN,
    headless: true,
    screenshot: "on",
    trace: "off",
    video: "off",
    actionTimeout: 15_000,
    navigationTimeout: 30_000,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    },
  },
  // The first-run journey needs the instance empty (its first screen is /setup), so it runs before
  // every other spec, which only adds accounts of its own.
  projects: [
    { name: "first-run", testMatch: "signup-flow.spec.ts" },
    { name: "chromium", testIgnore: "signup-flow.spec.ts", dependencies: ["first-run"] },
  ],
  webServer: {
    // What `npm start` runs after its build: the supervisor and its one worker, so the specs cover the shipped entry.
    command: "NODE_ENV=production tsx server/start.ts",
    url: `${ORIGIN}/login`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      // `npm run` puts node_modules/.bin on PATH; this keeps a bare `npx playwright test` working too.
      PATH: `${resolve("node_modules/.bin")}${delimiter}${process.env.PATH ?? ""}`,
      NODE_ENV: "production",
      PORT: String(PORT),
      HOST: "127.0.0.1",
      APP_URL: ORIGIN,
      DATA_DIR,
      // The outbox is the mail transport under test: make sure a developer's SMTP_URL does not leak in.
      SMTP_URL: "",
      // The e2e webhook receivers live on 127.0.0.1, which production refuses as a private host without this.
      WEBHOOK_ALLOW_PRIVATE: "1",
    },
  },
});
