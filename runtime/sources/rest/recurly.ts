import { PageShapeError, type JsonRecord, type Page, type RestApi, type RestEndpoint } from './api';

/** Recurly API v3 (https://recurly.com/developers/api/v2021-02-25/). */
export const RECURLY_API_URL = 'https://v3.recurly.com';
const RECURLY_ACCEPT = 'application/vnd.recurly.v2021-02-25+json';
export const RECURLY_PAGE_LIMIT = 200;

const endpoint = (name: string): RestEndpoint => ({ name, path: `/${name}`, idField: 'id', cursorField: 'updated_at' });

/** The collections the preset extracts, in the order a run reads them. */
export const RECURLY_ENDPOINTS: readonly RestEndpoint[] = ['accounts', 'subscriptions', 'invoices', 'transactions'].map(endpoint);

export function recurlyEndpoints(names?: readonly string[]): RestEndpoint[] {
  if (!names || names.length === 0) return [...RECURLY_ENDPOINTS];
  return names.map((n) => {
    const found = RECURLY_ENDPOINTS.find((e) => e.name === n);
    if (!found) throw new Error(`unknown Recurly endpoint ${JSON.stringify(n)} (known: ${RECURLY_ENDPOINTS.map((e) => e.name).join(', ')})`);
    return found;
  });
}

function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A Recurly list: `{ object: "list", has_more, next, data: [...] }`. */
export function parseRecurlyPage(body: unknown): Page {
  if (!isRecord(body)) throw new PageShapeError('expected a JSON object with "data", "has_more" and "next"');
  if (!Array.isArray(body.data)) throw new PageShapeError('"data" is not an array');
  if (typeof body.has_more !== 'boolean') throw new PageShapeError('"has_more" is not a boolean');
  if (body.has_more && (typeof body.next !== 'string' || body.next === '')) throw new PageShapeError('"has_more" is true but "next" is not a URL');
  const records = body.data.map((r, i) => {
    if (!isRecord(r)) throw new PageShapeError(`data[${i}] is not an object`);
    return r;
  });
  return { records, next: body.has_more ? (body.next as string) : null };
}

/**
 * The Recurly preset: HTTP Basic with the API key as user name, records sorted by
 * `updated_at` ascending from the watermark. `begin_time` is inclusive, so records sharing the
 * watermark are read again and de-duplicated by the extractor.
 */
export function recurlyApi(apiKey: string, baseUrl: string = RECURLY_API_URL): RestApi {
  const auth = Buffer.from(`${apiKey}:`).toString('base64');
  return {
    baseUrl,
    headers: { Authorization: `Basic ${auth}`, Accept: RECURLY_ACCEPT },
    secrets: [apiKey, auth],
    firstPageUrl(ep, watermark) {
      const url = new URL(ep.path.replace(/^\//, ''), baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
      url.searchParams.set('limit', String(RECURLY_PAGE_LIMIT));
      url.searchParams.set('sort', ep.cursorField);
      url.searchParams.set('order', 'asc');
      if (watermark) url.searchParams.set('begin_time', watermark);
      return url.toString();
    },
    parsePage: parseRecurlyPage,
  };
}
