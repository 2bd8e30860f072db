import type { Services } from "../services";

export type JobResult = { ok: true; detail: Record<string, unknown> } | { ok: false; error: string };

/**
 * Runs one background job and leaves a record of it: a job_runs row (started, finished, ok, counts or
 * the error) and one log line. Never throws, so a scheduler tick or a CLI command can always report;
 * a failure is an outcome, not an exception. Times come from services.clock, like everything else
 * the jobs measure, so tests that move the clock see consistent rows.
 */
export async function runJob(
  services: Pick<Services, "control" | "clock" | "log">,
  name: string,
  fn: () => Promise<Record<string, unknown>>,
): Promise<JobResult> {
  let runId: number | null = null;
  try {
    const row = await services.control
      .insertInto("job_runs")
      .values({ job: name, started_at: services.clock.now(), detail: "{}" })
      .returning("id")
      .executeTakeFirstOrThrow();
    runId = row.id;
  } catch (error) {
    // Without the control DB there is nothing to record in; the job still runs and the log says so.
    services.log(`[jobs] ${name}: could not record the run: ${messageOf(error)}`);
  }
  let result: JobResult;
  try {
    result = { ok: true, detail: await fn() };
    services.log(`[jobs] ${name} ok ${JSON.stringify(result.detail)}`);
  } catch (error) {
    result = { ok: false, error: messageOf(error) };
    services.log(`[jobs] ${name} failed: ${result.error}`);
  }
  if (runId !== null) {
    try {
      await services.control
        .updateTable("job_runs")
        .set({
          finished_at: services.clock.now(),
          ok: result.ok ? 1 : 0,
          detail: JSON.stringify(result.ok ? result.detail : { error: result.error }),
        })
        .where("id", "=", runId)
        .execute();
    } catch (error) {
      services.log(`[jobs] ${name}: could not record the outcome: ${messageOf(error)}`);
    }
  }
  return result;
}

function messageOf(error: unknown) {
  return error instanceof Error ? error.message : String(error);
}
