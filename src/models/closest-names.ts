// "Did you mean": the names nearest to a misspelt one, by edit distance.
//
// The Levenshtein distance d(a, b) is the fewest single-character insertions, deletions and
// substitutions that turn a into b. Row by row over a's characters i, with d[i][j] the distance
// between a's first i characters and b's first j:
//   d[i][j] = min(d[i−1][j] + 1, d[i][j−1] + 1, d[i−1][j−1] + (a[i−1] ≠ b[j−1]))
// Only the previous row is needed, so it runs in O(|a|·|b|) time and O(|b|) memory. Case is
// ignored: "Inception_4C/Output" is "inception_4c/output".
//
// A typed name is often the start of the one meant ("pool5" for "pool5/7x7_s1", "inception_4c"
// for "inception_4c/output"): a name that starts with it counts as one edit away, and among
// equally near names the shorter come first, then the earlier.

/** The Levenshtein distance between `a` and `b`, ignoring case. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase(),
    t = b.toLowerCase();
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j); // d[0][j] = j
  for (let i = 1; i <= s.length; i++) {
    const row = [i]; // d[i][0] = i
    for (let j = 1; j <= t.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[t.length]!;
}

/** The `count` names nearest to `name`, nearest first, then shortest, then in the order of `names`. */
export function closestNames(name: string, names: readonly string[], count = 5): string[] {
  const prefix = name.toLowerCase();
  const distance = (candidate: string): number =>
    candidate.toLowerCase().startsWith(prefix) && candidate.length > name.length ? 1 : editDistance(name, candidate);
  return names
    .map((candidate, order) => ({ candidate, order, distance: distance(candidate) }))
    .sort((x, y) => x.distance - y.distance || x.candidate.length - y.candidate.length || x.order - y.order)
    .slice(0, count)
    .map((c) => c.candidate);
}
