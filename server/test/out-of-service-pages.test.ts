import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { userWithOrg } from "./support/accounts";
import { startWebInstance } from "./support/web-instance";

/**
 * While a restore holds an organisation out of service, its web pages answer like its API: 503 with
 * the sentence and Retry-After, so a browser or a monitor knows to come back in seconds.
 */
let instance: Awaited<ReturnType<typeof startWebInstance>>;
beforeAll(async () => {
  instance = await startWebInstance();
});
afterAll(() => instance.stop());

describe("a page of an organisation being restored", () => {
  it("answers 503 with Retry-After, then the page again once it is back", async () => {
    const owner = await userWithOrg(instance, "restoring-pages");
    const page = () => fetch(`${instance.web}/o/restoring-pages/projects`, { headers: { cookie: owner.client.cookieHeader() } });
    expect((await page()).status).toBe(200);

    await instance.services.pool.takeOutOfService(owner.tenantId, "being restored");
    try {
      const res = await page();
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("10");
      expect(await res.text()).toContain("This organisation is being restored");
    } finally {
      instance.services.pool.returnToService(owner.tenantId);
    }
    expect((await page()).status).toBe(200);
  });
});
