import { Presets, SingleBar } from "cli-progress";

/**
 * A progress bar on stderr, so stdout stays clean for --json and pipes. Without a terminal it
 * prints a line every two seconds instead of redrawing.
 */
export function progressBar(label: string, total: number) {
  const bar = new SingleBar(
    { format: `${label} [{bar}] {value}/{total} {eta_formatted} {item}`, hideCursor: true, noTTYOutput: true, notTTYSchedule: 2000, stream: process.stderr },
    Presets.shades_classic,
  );
  bar.start(total, 0, { item: "" });
  return {
    tick(item = "") {
      bar.increment(1, { item });
    },
    update(value: number, item = "") {
      bar.update(value, { item });
    },
    stop() {
      bar.stop();
    },
  };
}
