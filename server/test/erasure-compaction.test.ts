import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultJobs, startScheduler } from "../jobs/scheduler";
import { deleteAccount } from "../privacy/delete-account";
import { queueCompaction } from "../privacy/compaction";
import { inviteMember, userWithOrg } from "./support/accounts";
import { startInstance, type Instance } from "./support/instance";

/**
 * Issue 24 item 7: a deletion only queues the rebuild of the files it wrote (durably, in the control
 * DB); the erasure-compaction job does it, off the request path, and a restart loses nothing.
 */

let instance: Instance;
let owner: Awaited<ReturnType<typeof userWithOrg>>;

beforeAll(async () => {
  instance = await startInstance();
  owner = await userWithOrg(instance, "compact-org");
});
afterAll(() => instance.stop());

const queued = () => instance.services.control.selectFrom("file_compactions").select("target").orderBy("target").execute();

describe("compaction after an account deletion", () => {
  it("is queued, not done, by the deletion itself", async () => {
    const member = await inviteMember(instance, owner.client, "compact-org", "member");
    await deleteAccount(instance.services, member.userId, { ip: "127.0.0.1", userAgent: null });
    expect((await queued()).map((r) => r.target).sort()).toEqual(["control", owner.tenantId].sort());
  });

  it("survives a restart in the control DB and is done by the scheduled job, which drops organisations gone since", async () => {
    await queueCompaction(instance.services.control, ["tgone000000000000000000000"], instance.clock.now());
    const scheduler = startScheduler(instance.services, defaultJobs(instance.services));
    try {
      const result = await scheduler.runNow("erasure-compaction");
      expect(result).toEqual({ ok: true, detail: { compacted: 2, skipped: 1, failed: 0 } });
    } finally {
      scheduler.stop();
    }
    expect(await queued()).toEqual([]);
    const run = await instance.services.control.selectFrom("job_runs").select(["ok"]).where("job", "=", "erasure-compaction").execute();
    expect(run).toEqual([{ ok: 1 }]);
  });
});
