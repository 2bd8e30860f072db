#!/bin/sh
# `npm test`: unit tests (vitest), then end-to-end tests (build + Playwright in Chromium). Both
# always run; the last line printed is the combined "N passed, N failed" from summarize-tests.mjs.
# Exits non-zero when either suite failed or a report is missing.
set -u
cd "$(dirname "$0")/.." || exit 1

# Never count a report left over from an earlier run.
mkdir -p test-results
rm -f test-results/*.json

unit=0
npm run test:unit || unit=$?

e2e=0
npm run test:e2e || e2e=$?

[ "$unit" -eq 0 ] || echo "[test] unit tests exited with status $unit" >&2
[ "$e2e" -eq 0 ] || echo "[test] e2e tests exited with status $e2e" >&2

summary=0
node scripts/summarize-tests.mjs || summary=$?

if [ "$unit" -ne 0 ] || [ "$e2e" -ne 0 ] || [ "$summary" -ne 0 ]; then
  exit 1
fi
exit 0
