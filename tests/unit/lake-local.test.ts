import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalObjectStore } from '../../runtime/lake/local';
import { openLake } from '../../runtime/lake/open';
import { S3ObjectStore } from '../../runtime/lake/s3';
import { objectStoreContract } from '../support/lake-contract';

objectStoreContract('local folder', async () => new LocalObjectStore(mkdtempSync(join(tmpdir(), 'lake-'))));

describe('openLake', () => {
  it('opens folders and s3:// locations and rejects what it cannot open', () => {
    expect(openLake('/tmp/some-lake')).toBeInstanceOf(LocalObjectStore);
    const s3 = openLake('s3://my-bucket/pipelines/totesys', 'http://127.0.0.1:1');
    expect(s3).toBeInstanceOf(S3ObjectStore);
    expect(s3.location).toBe('s3://my-bucket/pipelines/totesys');
    expect(() => openLake('s3://Bad_Bucket')).toThrow(/not a valid S3 bucket name/);
    expect(() => openLake('gs://bucket')).toThrow(/unsupported scheme/);
  });

  it('refuses keys that escape the lake folder', async () => {
    const store = new LocalObjectStore(mkdtempSync(join(tmpdir(), 'lake-')));
    await expect(store.put('../outside.txt', 'x')).rejects.toThrow(/escapes the lake folder/);
  });

  it('fails to write under a path that is a file, leaving nothing behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lake-'));
    writeFileSync(join(dir, 'raw'), 'a file where a folder should be');
    const store = new LocalObjectStore(dir);
    await expect(store.put('raw/x/y.csv', 'data')).rejects.toThrow();
    expect(await store.list('raw/')).toEqual([]);
  });
});
