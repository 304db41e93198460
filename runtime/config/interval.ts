/**
 * The look-back window is handed to PostgreSQL as `'<text>'::interval`, so a typo used to
 * surface only mid-run as a PostgreSQL error. This accepts the unambiguous subset of
 * PostgreSQL's interval syntax: `<n> <unit>` terms (`1 hour`, `90 minutes`, `1 day 2 hours`)
 * or a clock `HH:MM[:SS]`.
 */
const UNIT = '(microseconds?|milliseconds?|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w)';
// One term at a time with a sticky regex: a repeated group over the whole text would backtrack.
const TERM = new RegExp(`\\s*\\d+(?:\\.\\d+)?\\s*${UNIT}(?![a-z])`, 'iy');

function isTerms(text: string): boolean {
  const body = text.trimEnd();
  TERM.lastIndex = 0;
  let terms = 0;
  while (TERM.lastIndex < body.length) {
    if (!TERM.exec(body)) return false;
    terms += 1;
  }
  return terms > 0;
}
// eslint-disable-next-line security/detect-unsafe-regex -- anchored, each optional part used at most once: linear
const CLOCK = /^\s*\d{1,3}:[0-5]\d(:[0-5]\d(\.\d+)?)?\s*$/;

export const INTERVAL_EXAMPLES = '"1 hour", "90 minutes", "1 day 2 hours" or "01:30:00"';

/** What is wrong with a look-back interval, or undefined when PostgreSQL will read it as meant. */
export function intervalProblem(text: string): string | undefined {
  if (isTerms(text) || CLOCK.test(text)) return undefined;
  return `expected an interval such as ${INTERVAL_EXAMPLES}, got ${JSON.stringify(text)}`;
}
