/** A record as the API returned it: a JSON object (validated to hold an id and a cursor). */
export type JsonRecord = Record<string, unknown>;

/** One paginated collection of an API, landed as one raw table. */
export interface RestEndpoint {
  /** Table name in the lake and the warehouse, e.g. `accounts`. */
  name: string;
  /** Path under the API's base URL, e.g. `/accounts`. */
  path: string;
  /** Field holding the record's identity. */
  idField: string;
  /** Field the API can filter and sort by: the incremental cursor (a timestamp). */
  cursorField: string;
}

export interface Page {
  records: JsonRecord[];
  /** The next page's URL (absolute or relative to the base URL), or null on the last page. */
  next: string | null;
}

/**
 * What varies between paginated JSON APIs: the base URL, authentication headers, the query of
 * the first page of an incremental read, and the envelope of a page.
 */
export interface RestApi {
  baseUrl: string;
  headers: Record<string, string>;
  /** Values never to print (credentials the headers carry). */
  secrets: string[];
  firstPageUrl(endpoint: RestEndpoint, watermark: string | null): string;
  /** Throws a plain `Error` describing what is wrong when the body is not a page. */
  parsePage(body: unknown): Page;
}

/** The shape of a page is wrong: the table stops with this message and advances nothing. */
export class PageShapeError extends Error {
  override name = 'PageShapeError';
}
