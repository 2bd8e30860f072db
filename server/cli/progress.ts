import { Presets, SingleBar } from "cli-progress";

/**
 * A progress bar on stderr, so stdout stays clean for --json and pipes. Without a terminal it
 * prints a line every two seconds instead of redrawing.
 */
function progressBar(label: string, total: number) {
  const bar = new SingleBar(
    {
      format: `${label} [{bar}] {value}/{total} {eta_formatted} {item}`,
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 2000,
      stream: process.stderr,
    },
    Presets.shades_classic,
  );
  bar.start(total, 0, { item: "" });
  return {
    update(value: number, item = "") {
      bar.update(value, { item });
    },
    stop() {
      bar.stop();
    },
  };
}

/**
 * A bar that starts at the first report, when the work knows its total; stop() is safe whether or
 * not it ever started. The shape every long CLI command's onProgress callback needs.
 */
export function progressOnDemand(label: string) {
  let bar: ReturnType<typeof progressBar> | null = null;
  return {
    update(done: number, total: number, item = "") {
      (bar ??= progressBar(label, total)).update(done, item);
    },
    stop() {
      bar?.stop();
    },
  };
}
