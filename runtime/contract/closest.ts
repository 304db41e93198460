/**
 * The candidate nearest to a mistyped name (edit distance, case-insensitive), for "did you
 * mean …?" hints in CLI and stack-config errors. Pulumi-free so stacks/ and runtime/ share it.
 */
export function closestName(typed: string, candidates: readonly string[], opts: { anyDistance?: boolean } = {}): string | undefined {
  const a = typed.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = editDistance(a, name.toLowerCase());
    if (!best || distance < best.distance) best = { name, distance };
  }
  // Beyond about a third of the word the "closest" one is a guess that misleads more than it helps.
  if (!best) return undefined;
  return opts.anyDistance || best.distance <= Math.max(2, Math.ceil(typed.length / 3)) ? best.name : undefined;
}

/** Levenshtein distance, one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** ` (did you mean "x"?)` or '' when nothing is close. */
export function didYouMean(typed: string, candidates: readonly string[], quote = (s: string) => JSON.stringify(s)): string {
  const match = closestName(typed, candidates);
  return match ? ` (did you mean ${quote(match)}?)` : '';
}
