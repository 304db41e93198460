import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { gzipCsvHeader } from '../../runtime/model/csv-header';

describe('gzipCsvHeader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'csv-header-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, gzipSync(Buffer.from(text)));
    return path;
  };

  it('reads the names of the header row, whatever follows it', async () => {
    const rows = Array.from({ length: 50_000 }, (_, i) => `${i},"a, ""b""",`).join('\n');
    expect(await gzipCsvHeader(file('a.csv.gz', `sales_order_id,design_name,last_updated\r\n${rows}\n`))).toEqual(['sales_order_id', 'design_name', 'last_updated']);
  });

  it('gives up on a quoted or unusual name, and on a file with no complete header row', async () => {
    expect(await gzipCsvHeader(file('b.csv.gz', '"odd,name",id\n1,2\n'))).toBeUndefined();
    expect(await gzipCsvHeader(file('c.csv.gz', 'id,Name With Space\n1,2\n'))).toBeUndefined();
    expect(await gzipCsvHeader(file('d.csv.gz', 'id,name'))).toBeUndefined();
  });
});
