/** The URL with any password replaced, safe to print. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}

/** Validates a postgres:// URL, naming the option on failure. */
export function parsePostgresUrl(url: string, option: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${option}: not a URL (expected postgres://user:password@host:port/database)`);
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
