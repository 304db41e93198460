import { redact, registerSecret } from '../telemetry/redact';

/**
 * The URL with any password replaced, safe to print. Masked as text, not re-serialised by `URL`:
 * a password with unencoded `@`, `/`, `#` or `?` would otherwise be split and half printed.
 */
export function redactUrl(url: string): string {
  return redact(url);
}

/**
 * Registers the password of a URL given on the command line or in the environment for
 * redaction, in every form it may be printed: decoded, as written, and as written when it
 * holds characters URL parsing would split on.
 */
export function registerUrlPassword(url: string): void {
  const written = /^[a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:(\S*)@[^@]*$/i.exec(url)?.[1];
  registerSecret(written);
  try {
    const parsed = new URL(url);
    registerSecret(parsed.password);
    registerSecret(decodeURIComponent(parsed.password));
  } catch {
    // not a URL: the caller reports that
  }
}

/** Validates a postgres:// URL, naming the option on failure. */
export function parsePostgresUrl(url: string, option: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${option}: not a URL (expected postgres://user:password@host:port/database)`);
  } finally {
    registerUrlPassword(url);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new UsageError(`${option}: expected a postgres:// URL, got ${parsed.protocol}//…`);
  }
  if (!parsed.hostname) throw new UsageError(`${option}: the URL has no host`);
  return parsed;
}

/** Bad usage or configuration: the CLI exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
