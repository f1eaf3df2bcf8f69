// A one-line progress bar for stderr: octave, step, a bar over all steps, and the time left.
// Drawn only on a terminal; in a pipe or a log file it stays silent.

import type { DreamProgress } from "../dream/dream.js";

export interface ProgressBar {
  update(p: DreamProgress): void;
  done(): void;
}

export function progressBar(stream: NodeJS.WriteStream, label = "dreaming"): ProgressBar {
  if (!stream.isTTY) return { update() {}, done() {} };
  const start = performance.now();
  let drawn = false;
  return {
    update(p) {
      // Later octaves have more pixels, so progress and ETA count work in pixel-steps.
      const width = 24;
      const filled = Math.round(width * p.fraction);
      const elapsed = (performance.now() - start) / 1000;
      const eta = p.fraction > 0 ? (elapsed / p.fraction) * (1 - p.fraction) : 0;
      const line =
        `${label} octave ${p.octave}/${p.octaves} step ${p.iteration}/${p.iterations} ` +
        `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${Math.round(100 * p.fraction)}% ` +
        `ETA ${formatSeconds(eta)}`;
      stream.write(`\r${line}\x1b[K`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write("\r\x1b[K");
    },
  };
}

function formatSeconds(s: number): string {
  if (s < 60) return `${Math.ceil(s)}s`;
  return `${Math.floor(s / 60)}m${String(Math.ceil(s % 60)).padStart(2, "0")}s`;
}
