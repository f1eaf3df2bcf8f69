// A one-line progress bar for stderr: octave, step, a bar over all steps, the time spent and the
// time left. Drawn only on a terminal; in a pipe or a log file it stays silent.
//
// It is drawn as soon as it is made, before the first step has run (a large photo's first step
// takes seconds), and redrawn every second while the dream runs in its own thread, so the clock
// moves between steps too. Notes are printed above it.

import type { DreamProgress } from "../dream/dream.js";

export interface ProgressBar {
  update(p: DreamProgress): void;
  /** Prints a line above the bar (a note), then redraws the bar. */
  log(line: string): void;
  done(): void;
}

const WIDTH = 24;

/** `label` is drawn before the octave and step; a function is asked each time (e.g. "frame 3/40"). */
export function progressBar(stream: NodeJS.WriteStream, label: string | (() => string) = "dreaming"): ProgressBar {
  if (!stream.isTTY) return { update() {}, log: (line) => void stream.write(`${line}\n`), done() {} };
  const start = performance.now();
  let last: { p: DreamProgress; at: number; eta: number } | null = null;
  const draw = (): void => {
    const now = performance.now();
    const name = typeof label === "string" ? label : label();
    const elapsed = (now - start) / 1000;
    let line: string;
    if (last === null) {
      line = `${name} starting [${".".repeat(WIDTH)}]   0% ${formatSeconds(elapsed)}`;
    } else {
      // Later octaves have more pixels, so progress and ETA count work in pixel-steps.
      const { p } = last;
      const filled = Math.round(WIDTH * p.fraction);
      const eta = Math.max(0, last.eta - (now - last.at) / 1000);
      line =
        `${name} ${p.octaves > 1 ? `octave ${p.octave}/${p.octaves} ` : ""}step ${p.iteration}/${p.iterations} ` +
        `[${"#".repeat(filled)}${".".repeat(WIDTH - filled)}] ${String(Math.round(100 * p.fraction)).padStart(3)}% ` +
        `${formatSeconds(elapsed)}, ETA ${formatSeconds(eta)}`;
    }
    stream.write(`\r${line}\x1b[K`);
  };
  const timer = setInterval(draw, 1000);
  timer.unref();
  draw();
  return {
    update(p) {
      const elapsed = (performance.now() - start) / 1000;
      last = { p, at: performance.now(), eta: p.fraction > 0 ? (elapsed / p.fraction) * (1 - p.fraction) : 0 };
      draw();
    },
    log(line) {
      stream.write(`\r\x1b[K${line}\n`);
      draw();
    },
    done() {
      clearInterval(timer);
      stream.write("\r\x1b[K");
    },
  };
}

function formatSeconds(s: number): string {
  if (s < 60) return `${Math.ceil(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
