import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';

/** A header field as PostgreSQL's COPY … HEADER writes a plain identifier: no quoting needed. */
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The column names of a gzipped CSV file's header row, read from its first bytes; undefined
 * when the header holds a quoted or unusual name (the caller then lets DuckDB read the header).
 */
export async function gzipCsvHeader(path: string): Promise<string[] | undefined> {
  const stream = createReadStream(path).pipe(createGunzip());
  let text = '';
  try {
    for await (const chunk of stream) {
      text += (chunk as Buffer).toString('utf8');
      const end = text.indexOf('\n');
      if (end >= 0) {
        const names = text.slice(0, end).replace(/\r$/, '').split(',');
        return names.every((n) => PLAIN_NAME.test(n)) ? names : undefined;
      }
      if (text.length > 1 << 20) return undefined;
    }
    return undefined;
  } finally {
    stream.destroy();
  }
}
