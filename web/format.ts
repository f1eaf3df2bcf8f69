// How the page writes a duration: tenths under ten seconds, whole seconds under a minute, then
// minutes and seconds. The seconds are rounded once, before being split, so that 119.6 s reads
// "2 min 0 s" and never "1 min 60 s".

/** "3.6 s", "41 s", "1 min 34 s". */
export function formatSeconds(s: number): string {
  if (s < 9.95) return `${s.toFixed(1)} s`;
  const whole = Math.round(s);
  return whole < 60 ? `${whole} s` : `${Math.floor(whole / 60)} min ${whole % 60} s`;
}
