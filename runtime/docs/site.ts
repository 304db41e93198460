import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { collectSiteData, type CollectOptions } from './collect';
import { renderSite, type SiteFiles } from './render';

export type { SiteFiles };

/** Collects from the lake and the warehouse and renders every page. */
export async function buildSite(options: CollectOptions): Promise<SiteFiles> {
  return renderSite(await collectSiteData(options));
}

/** Writes the site under `dir`; open `index.html` from disk or upload the folder to any static host. */
export async function writeSite(files: SiteFiles, dir: string): Promise<string[]> {
  const root = resolve(dir);
  const written: string[] = [];
  for (const [path, html] of files) {
    const target = join(root, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, html);
    written.push(target);
  }
  return written;
}

export interface ServedSite {
  url: string;
  close(): Promise<void>;
}

/** Serves the pages on 127.0.0.1 only (the site shows run history: not for the network). */
export async function serveSite(files: SiteFiles, port = 0): Promise<ServedSite> {
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname).replace(/^\/+/, '') || 'index.html';
    const html = files.get(path);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (html === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
    } else {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : html);
    }
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://127.0.0.1:${bound}/`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
