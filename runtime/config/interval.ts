/**
 * The look-back window is handed to PostgreSQL as `'<text>'::interval`, so a typo used to
 * surface only mid-run as a PostgreSQL error. This accepts the unambiguous subset of
 * PostgreSQL's interval syntax: `<n> <unit>` terms (`1 hour`, `90 minutes`, `1 day 2 hours`)
 * or a clock `HH:MM[:SS]`.
 */
const UNIT = '(microseconds?|milliseconds?|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w)';
const TERMS = new RegExp(`^\\s*(\\d+(\\.\\d+)?\\s*${UNIT}\\s*)+$`, 'i');
const CLOCK = /^\s*\d{1,3}:[0-5]\d(:[0-5]\d(\.\d+)?)?\s*$/;

export const INTERVAL_EXAMPLES = '"1 hour", "90 minutes", "1 day 2 hours" or "01:30:00"';

/** What is wrong with a look-back interval, or undefined when PostgreSQL will read it as meant. */
export function intervalProblem(text: string): string | undefined {
  if (TERMS.test(text) || CLOCK.test(text)) return undefined;
  return `expected an interval such as ${INTERVAL_EXAMPLES}, got ${JSON.stringify(text)}`;
}
