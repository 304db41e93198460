import { UsageError } from './urls';

/** A non-empty string option's value, or undefined. */
export function optionalString(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** A whole number ≥ 1 from an option (underscores allowed: 1_000_000), or undefined when absent. */
export function positiveInteger(text: string | undefined, option: string, what: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text.replace(/_/g, ''));
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`${option}: expected a positive whole number of ${what}, got ${JSON.stringify(text)}`);
  return value;
}
