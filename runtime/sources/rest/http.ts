import { redact } from '../../telemetry/redact';

/** Retry and pacing knobs; tests inject `sleep` and short delays so nothing waits for real. */
export interface HttpOptions {
  /** Attempts per request before giving up (429, 5xx, timeouts and network errors are retried). */
  maxAttempts: number;
  /** Per-attempt timeout. */
  timeoutMs: number;
  /** Backoff before retry `attempt` (1-based) when the server gave no Retry-After. */
  backoffMs: (attempt: number) => number;
  /** Longest wait honoured for Retry-After or a rate-limit reset; longer waits are capped. */
  maxWaitMs: number;
  /** Pause once `X-RateLimit-Remaining` is at or below this, until `X-RateLimit-Reset`. */
  rateLimitFloor: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  fetch: typeof fetch;
}

export const DEFAULT_HTTP_OPTIONS: HttpOptions = {
  maxAttempts: 6,
  timeoutMs: 60_000,
  // 1 s, 2 s, 4 s … capped at 60 s, with jitter so parallel runs do not retry in step.
  backoffMs: (attempt) => Math.min(60_000, 1000 * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5),
  maxWaitMs: 5 * 60_000,
  rateLimitFloor: 0,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
  fetch: (input, init) => fetch(input, init),
};

/** A request that cannot succeed (4xx, retries exhausted); the message never holds credentials. */
export class RestHttpError extends Error {
  override name = 'RestHttpError';
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
  }
}

/** Seconds (`Retry-After: 30`) or an HTTP date, as a wait in milliseconds. */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  // eslint-disable-next-line security/detect-unsafe-regex -- anchored, applied to one trimmed header value
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * `X-RateLimit-Reset` is epoch seconds: the wait until then, in milliseconds. A reset already
 * past by the local clock (clock skew, a stale header) says nothing about when to retry: it is
 * undefined, so the caller backs off instead of retrying at once.
 */
export function resetWaitMs(value: string | null, now: number): number | undefined {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  const wait = Number(value) * 1000 - now;
  return wait > 0 ? wait : undefined;
}

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * The API's base URL, checked before any credential is attached to it: https, or plain http to
 * a loopback address (the local test servers); no credentials of its own.
 */
export function apiBaseUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new RestHttpError(`API URL ${JSON.stringify(value)} is not a URL`, undefined);
  }
  if (url.username || url.password) throw new RestHttpError('the API URL must not carry credentials; give the key as a secret, a file or the environment', undefined);
  if (url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname))) return url;
  throw new RestHttpError(`API URL ${url.origin} must use https (plain http only to a loopback address)`, undefined);
}

/**
 * Where a page's `next` link leads. A path-absolute link (`/accounts?cursor=…`, as Recurly
 * sends) is under the API's path prefix, so `--api-url https://host/v2` stays on `/v2`.
 */
export function nextPageUrl(next: string, base: URL): string {
  const prefix = base.pathname.replace(/\/+$/, '');
  const underPrefix = prefix && next.startsWith('/') && !next.startsWith('//') && next !== prefix && !next.startsWith(`${prefix}/`) && !next.startsWith(`${prefix}?`);
  return new URL(underPrefix ? `${prefix}${next}` : next, base.href.endsWith('/') ? base.href : `${base.href}/`).toString();
}

export interface JsonResponse {
  /** The parsed body; undefined when it was not JSON (the caller names the page in its error). */
  body: unknown;
  text: string;
  status: number;
}

/**
 * GETs a JSON document with the retry policy of a well-behaved API client: 429 waits for
 * Retry-After (or the rate-limit reset), 5xx and timeouts back off exponentially, and a nearly
 * spent rate-limit budget pauses before the next call rather than earning a 429.
 */
export class JsonHttpClient {
  private readonly options: HttpOptions;
  private readonly origin: string;
  private pauseUntil = 0;

  constructor(
    /** The API's base URL: the headers (credentials) go to its origin only. */
    baseUrl: string,
    private readonly headers: Record<string, string>,
    options: Partial<HttpOptions> = {},
    /** Values masked in every error (the API key and its encodings). */
    private readonly secrets: string[] = [],
  ) {
    this.options = { ...DEFAULT_HTTP_OPTIONS, ...options };
    this.origin = apiBaseUrl(baseUrl).origin;
  }

  private clean(text: string): string {
    return redact(text, this.secrets);
  }

  private capped(ms: number): number {
    return Math.min(Math.max(0, ms), this.options.maxWaitMs);
  }

  async getJson(url: string): Promise<JsonResponse> {
    const { maxAttempts, timeoutMs, sleep, now } = this.options;
    const target = new URL(url);
    // A `next` link elsewhere (another host, port or scheme) would receive the API key.
    if (target.origin !== this.origin) throw new RestHttpError(`refusing GET ${target.origin}${target.pathname}: not the API's origin ${this.origin}, credentials are not sent there`, undefined);
    let lastError = '';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const wait = this.pauseUntil - now();
      if (wait > 0) {
        await sleep(this.capped(wait));
        this.pauseUntil = 0;
      }
      let response: Response;
      let text: string;
      try {
        // Redirects are not followed: their target is not checked against the API's origin.
        response = await this.options.fetch(url, { headers: this.headers, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
        text = await response.text();
      } catch (err) {
        const e = err as Error;
        lastError = e.name === 'TimeoutError' || e.name === 'AbortError' ? `timed out after ${timeoutMs} ms` : `${e.name}: ${e.message}`;
        if (attempt < maxAttempts) await sleep(this.options.backoffMs(attempt));
        continue;
      }
      this.notePacing(response);
      if (response.status === 429) {
        lastError = 'HTTP 429 Too Many Requests';
        const retryAfter = retryAfterMs(response.headers.get('retry-after'), now());
        const ms = (retryAfter !== undefined && retryAfter > 0 ? retryAfter : undefined) ?? resetWaitMs(response.headers.get('x-ratelimit-reset'), now());
        if (attempt < maxAttempts) await sleep(this.capped(ms ?? this.options.backoffMs(attempt)));
        continue;
      }
      if (response.status >= 500) {
        lastError = `HTTP ${response.status}`;
        if (attempt < maxAttempts) await sleep(this.options.backoffMs(attempt));
        continue;
      }
      if (response.status >= 300 && response.status < 400) {
        throw new RestHttpError(this.clean(`GET ${url} answered HTTP ${response.status} (a redirect); redirects are not followed`), response.status);
      }
      if (response.status >= 400) {
        throw new RestHttpError(this.clean(`GET ${url} failed: HTTP ${response.status}: ${text.slice(0, 300)}`), response.status);
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { body, text, status: response.status };
    }
    throw new RestHttpError(this.clean(`GET ${url} failed after ${maxAttempts} attempts: ${lastError}`), undefined);
  }

  /** Remembers when the rate-limit window resets if the budget is spent. */
  private notePacing(response: Response): void {
    const remaining = response.headers.get('x-ratelimit-remaining');
    if (remaining === null || !/^\d+$/.test(remaining.trim())) return;
    if (Number(remaining) > this.options.rateLimitFloor) return;
    const wait = resetWaitMs(response.headers.get('x-ratelimit-reset'), this.options.now());
    if (wait !== undefined) this.pauseUntil = this.options.now() + wait;
  }
}
