/**
 * Masks credentials in text before it is printed or logged.
 *
 * Two layers: patterns that look like credentials wherever they appear (the password of a URL,
 * `password=`/`"password":` pairs), and the exact values of secrets this process has loaded
 * (registered by the secrets module), which catches a password echoed in any other shape, e.g.
 * inside a driver's error message.
 */

export const MASK = '***';

/**
 * Values shorter than this are not registered: masking a 1-3 character string everywhere would
 * garble every log line, and no real credential is that short.
 */
const MIN_SECRET_LENGTH = 4;

const registered = new Set<string>();

/** The forms a secret is printed in: as stored, without the newline a file or console added, URL-encoded. */
function secretForms(value: string): string[] {
  const forms = new Set([value, value.trim()]);
  for (const form of [...forms]) forms.add(encodeURIComponent(form));
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

/** Registers a secret value (and its trimmed and URL-encoded forms) so every later `redact` masks it. */
export function registerSecret(value: string | undefined | null): void {
  if (typeof value !== 'string') return;
  for (const form of secretForms(value)) registered.add(form);
}

/** Forgets every registered secret; for tests. */
export function clearRegisteredSecrets(): void {
  registered.clear();
}

// scheme://user:password@host — the password runs to the last '@' of the URL, so one written
// with unencoded '@', '/', '#', '?' or ':' (`S3cr3t:p@ss/w#rd?x`) is masked whole.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:)[^\s]*@(?=[^\s@]*(?:\s|$))/gi;
// A key that names a credential: password, PGPASSWORD, PWD (ODBC), token, api_key, secret, ….
const CREDENTIAL_KEY = String.raw`(?:password|passwd|pwd|[a-z_]*token|api[_-]?key|apikey|client[_-]?secret|secret[_-]?key|secret)`;
// key="a value with spaces" / key='…': the whole quoted value.
// eslint-disable-next-line security/detect-non-literal-regexp -- built from constant key names only
const QUOTED_PAIR = new RegExp(String.raw`(${CREDENTIAL_KEY}["']?\s*[=:]\s*)("[^"
]*"|'[^'
]*')`, 'gi');
// key=value, key: value, "key":"value"; an unquoted value ends at a delimiter.
// eslint-disable-next-line security/detect-non-literal-regexp -- built from constant key names only
const CREDENTIAL_PAIR = new RegExp(String.raw`(${CREDENTIAL_KEY}["']?\s*[=:]\s*["']?)(?!\*\*\*)[^\s"',;&}]+`, 'gi');
// Authorization: Basic …, Bearer …, or a bare token.
// eslint-disable-next-line security/detect-unsafe-regex -- no nested quantifiers over the same characters: one optional scheme word, then a run of non-delimiters
const AUTHORIZATION = /(authorization["']?\s*[=:]\s*["']?(?:(?:basic|bearer|token|digest)\s+)?)[^\s"',;}]+/gi;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Returns `text` with URL passwords, password pairs, registered secrets and the given extra
 * `secrets` replaced by `***`.
 */
export function redact(text: string, secrets: Iterable<string> = []): string {
  let out = text
    .replace(URL_USERINFO, `$1${MASK}@`)
    .replace(QUOTED_PAIR, (_m, key: string, value: string) => `${key}${value[0]}${MASK}${value[0]}`)
    .replace(CREDENTIAL_PAIR, `$1${MASK}`)
    .replace(AUTHORIZATION, `$1${MASK}`);
  const values = new Set(registered);
  for (const s of secrets) if (typeof s === 'string') for (const form of secretForms(s)) values.add(form);
  if (values.size === 0) return out;
  // Longest first, so a secret containing another secret is masked whole.
  const ordered = [...values].sort((a, b) => b.length - a.length);
  // eslint-disable-next-line security/detect-non-literal-regexp -- secret values, each escaped by escapeRegExp: a literal alternation
  out = out.replace(new RegExp(ordered.map(escapeRegExp).join('|'), 'g'), MASK);
  return out;
}

/** The message of any thrown value, redacted: what the CLI and handlers print for an error. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return redact(err.message);
  return redact(String(err));
}

/**
 * A copy of `err` safe to rethrow across a process boundary: same name (Step Functions retry and
 * Catch rules match on it), message and stack redacted. The Lambda runtime prints and returns
 * whatever a handler throws, so the original must not escape.
 */
export function redactedError(err: unknown): Error {
  const source = err instanceof Error ? err : new Error(String(err));
  const copy = new Error(redact(source.message));
  copy.name = source.name;
  copy.stack = source.stack ? redact(source.stack) : copy.stack;
  return copy;
}
