import { Logger } from '@aws-lambda-powertools/logger';
import { redact } from './redact';

export type { Logger } from '@aws-lambda-powertools/logger';

export interface LoggerOptions {
  /** Service name on every record; defaults to POWERTOOLS_SERVICE_NAME, then `tributary`. */
  service?: string;
  /** Keys on every record, e.g. `{ stage: 'extract', pipeline: 'totesys' }`. */
  keys?: Record<string, string | number | boolean>;
  /** Defaults to POWERTOOLS_LOG_LEVEL (Powertools reads it), then INFO. */
  level?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
}

/**
 * Serialises an Error as a plain object so JSON.stringify walks its strings through the
 * redacting replacer (Powertools' own Error formatting would run after ours, unredacted).
 */
function plainError(err: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { name: err.name, message: err.message };
  if (err.stack) out.stack = err.stack;
  if (err.cause !== undefined) out.cause = err.cause instanceof Error ? plainError(err.cause) : err.cause;
  return out;
}

/** Redacts every string of a record as it is serialised, however deep. */
export function redactingReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'string') return redact(value);
  if (value instanceof Error) return plainError(value);
  return value;
}

/**
 * A Powertools Logger writing one JSON object per line, with every string value passed through
 * `redact` — so a password inside an error message or a connection string never reaches the logs.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return new Logger({
    serviceName: options.service ?? process.env.POWERTOOLS_SERVICE_NAME ?? 'tributary',
    ...(options.level ? { logLevel: options.level } : {}),
    persistentKeys: options.keys ?? {},
    jsonReplacerFn: redactingReplacer,
  });
}
