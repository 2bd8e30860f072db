import { parseArgs } from "node:util";
import { runLifecycleChaos } from "./lifecycle-chaos";

/**
 * `npm run chaos:lifecycle -- [--rounds 12] [--writers 20] [--seed N]`: the long form of the
 * lifecycle chaos test. Prints each command and the report; exits 1 on any violation.
 */
const { values } = parseArgs({
  options: { rounds: { type: "string", default: "12" }, writers: { type: "string", default: "20" }, seed: { type: "string" } },
});
const seed = values.seed ? Number(values.seed) : Date.now() % 2 ** 31;
console.log(`lifecycle chaos: ${values.rounds} rounds, ${values.writers} writers, seed ${seed}`);
const report = await runLifecycleChaos({
  rounds: Number(values.rounds),
  writers: Number(values.writers),
  seed,
  log: (line) => console.log(`  ${line}`),
});
const { commands, violations, ...facts } = report;
console.log(JSON.stringify({ ...facts, commands: commands.length, violations: violations.length }, null, 2));
for (const v of violations.slice(0, 50)) console.error(`VIOLATION ${v}`);
process.exit(violations.length || report.integrity !== "ok" ? 1 : 0);
