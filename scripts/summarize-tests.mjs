#!/usr/bin/env node
// Totals the unit (vitest) and end-to-end (Playwright) JSON reports into one last line:
//   N passed, N failed[, N skipped]
// A report that is missing or unreadable counts as 1 failed (with the reason on stderr), so a suite
// that crashed before writing its report can never look green. Exit status: 1 when anything failed.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

const dir = resolve(process.argv[2] ?? "test-results");
const notes = [];

function readReport(file, label) {
  const path = resolve(dir, file);
  try {
    const report = JSON.parse(readFileSync(path, "utf8"));
    if (report === null || typeof report !== "object") throw new Error("not a JSON object");
    return report;
  } catch (error) {
    notes.push(`${label}: cannot read ${path} (${error instanceof Error ? error.message : String(error)}); counted as 1 failed.`);
    return null;
  }
}

const count = (value) => (Number.isInteger(value) && value >= 0 ? value : 0);

/** vitest's JSON reporter (jest-compatible shape). */
function fromVitest(r) {
  if (!r) return { passed: 0, failed: 1, skipped: 0 };
  if (!["numPassedTests", "numFailedTests"].every((k) => Number.isInteger(r[k]))) {
    notes.push("unit: test-results/vitest.json has no test counts; counted as 1 failed.");
    return { passed: 0, failed: 1, skipped: 0 };
  }
  const passed = count(r.numPassedTests);
  let failed = count(r.numFailedTests);
  const skipped = count(r.numPendingTests) + count(r.numTodoTests);
  // A test file that fails to load (syntax error, failing import, hook error) has no failed test of its own.
  for (const file of Array.isArray(r.testResults) ? r.testResults : []) {
    const failedTests = (file.assertionResults ?? []).filter((a) => a.status === "failed").length;
    if (file.status === "failed" && failedTests === 0) {
      failed += 1;
      notes.push(
        `unit: ${file.name ?? "a test file"} failed outside any test${file.message ? `: ${String(file.message).split("\n")[0]}` : ""}`,
      );
    }
  }
  if (r.success === false && failed === 0) {
    failed = 1;
    notes.push("unit: vitest reports the run as unsuccessful (e.g. an unhandled error); counted as 1 failed.");
  }
  return { passed, failed, skipped };
}

/** Playwright's JSON reporter: stats per test outcome, plus errors raised outside tests. */
function fromPlaywright(r) {
  if (!r) return { passed: 0, failed: 1, skipped: 0 };
  const s = r.stats;
  if (!s || !["expected", "unexpected"].every((k) => Number.isInteger(s[k]))) {
    notes.push("e2e: test-results/playwright.json has no stats; counted as 1 failed.");
    return { passed: 0, failed: 1, skipped: 0 };
  }
  // Flaky = failed first, passed on a retry: it did pass, but say so.
  if (count(s.flaky) > 0) notes.push(`e2e: ${s.flaky} test(s) passed only on a retry (flaky).`);
  let failed = count(s.unexpected);
  // Global errors (web server did not start, global setup threw, worker crashed) fail the run.
  const errors = Array.isArray(r.errors) ? r.errors : [];
  for (const e of errors) notes.push(`e2e: error outside tests: ${String(e?.message ?? e).split("\n")[0]}`);
  failed += errors.length;
  return { passed: count(s.expected) + count(s.flaky), failed, skipped: count(s.skipped) };
}

const unit = fromVitest(readReport("vitest.json", "unit"));
const e2e = fromPlaywright(readReport("playwright.json", "e2e"));

const passed = unit.passed + e2e.passed;
const failed = unit.failed + e2e.failed;
const skipped = unit.skipped + e2e.skipped;

for (const note of notes) console.error(`[summary] ${note}`);
console.error(
  `[summary] unit: ${unit.passed} passed, ${unit.failed} failed, ${unit.skipped} skipped; ` +
    `e2e: ${e2e.passed} passed, ${e2e.failed} failed, ${e2e.skipped} skipped`,
);
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`);
process.exitCode = failed > 0 ? 1 : 0;
