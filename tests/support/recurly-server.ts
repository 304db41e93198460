import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRecord {
  id: string;
  updated_at: string;
  [field: string]: unknown;
}

/** What the server does instead of answering a request normally. */
export type Fault =
  | { status: number; headers?: Record<string, string>; body?: string }
  | { rawBody: string }
  | { delayMs: number };

export interface RequestLog {
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
}

/**
 * A Recurly-v3-like list API on 127.0.0.1: records sorted by updated_at (then id), filtered by
 * an inclusive begin_time, paginated by an opaque cursor, with rate-limit headers. `fault` lets
 * a test break chosen requests (by 1-based request number, counted over the whole server).
 */
export class FakeRecurly {
  readonly data = new Map<string, FakeRecord[]>();
  readonly requests: RequestLog[] = [];
  pageSize = 3;
  /** Path prefix the API lives under (e.g. `/v2`); its `next` links leave it out, as Recurly's do. */
  prefix = '';
  /** Remaining budget reported in X-RateLimit-Remaining; decremented per request. */
  rateRemaining = 1000;
  rateReset = 0;
  fault: (n: number, log: RequestLog) => Fault | undefined = () => undefined;
  private server?: Server;
  url = '';

  constructor(readonly apiKey: string) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, {
      'content-type': 'application/json',
      'x-ratelimit-limit': '1000',
      'x-ratelimit-remaining': String(Math.max(0, this.rateRemaining)),
      'x-ratelimit-reset': String(this.rateReset),
      ...headers,
    });
    res.end(body);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const log: RequestLog = { path: url.pathname, query: Object.fromEntries(url.searchParams), authorization: req.headers.authorization };
    this.requests.push(log);
    this.rateRemaining--;
    const fault = this.fault(this.requests.length, log);
    if (fault && 'delayMs' in fault) await new Promise((r) => setTimeout(r, fault.delayMs));
    else if (fault && 'rawBody' in fault) return this.send(res, 200, fault.rawBody);
    else if (fault) return this.send(res, fault.status, fault.body ?? '{"error":{"type":"fault"}}', fault.headers);
    if (res.destroyed) return;
    const expected = `Basic ${Buffer.from(`${this.apiKey}:`).toString('base64')}`;
    if (req.headers.authorization !== expected) return this.send(res, 401, '{"error":{"type":"unauthorized","message":"bad key"}}');
    if (!url.pathname.startsWith(`${this.prefix}/`)) return this.send(res, 404, '{"error":{"type":"not_found"}}');
    const name = url.pathname.slice(this.prefix.length + 1);
    const records = this.data.get(name);
    if (!records) return this.send(res, 404, '{"error":{"type":"not_found"}}');
    const begin = url.searchParams.get('begin_time');
    const sorted = records
      .filter((r) => !begin || Date.parse(r.updated_at) >= Date.parse(begin))
      .sort((a, b) => Date.parse(a.updated_at) - Date.parse(b.updated_at) || a.id.localeCompare(b.id));
    const offset = Number(url.searchParams.get('cursor') ?? 0);
    const page = sorted.slice(offset, offset + this.pageSize);
    const hasMore = offset + this.pageSize < sorted.length;
    const next = new URLSearchParams(url.searchParams);
    next.set('cursor', String(offset + this.pageSize));
    this.send(res, 200, JSON.stringify({ object: 'list', has_more: hasMore, next: hasMore ? `/${name}?${next.toString()}` : null, data: page }));
  }
}
