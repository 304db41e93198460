import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalObjectStore } from '../../runtime/lake/local';
import { readManifest } from '../../runtime/lake/manifest';
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
    expect(() => openLake('s3:/bucket')).toThrow(/"s3:\/bucket" is neither a folder nor s3:\/\/bucket\/prefix \(did you mean s3:\/\/bucket\?\)/);
    expect(() => openLake('c:lake')).toThrow(/write \.\/c:lake for a folder of that name/);
  });

  it('probes a folder it can create and write, leaving only the folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lake-'));
    const store = new LocalObjectStore(join(dir, 'a', 'b'));
    await store.probe();
    expect(readdirSync(join(dir, 'a', 'b'))).toEqual([]);
    writeFileSync(join(dir, 'file'), 'x');
    await expect(new LocalObjectStore(join(dir, 'file', 'lake')).probe()).rejects.toThrow(`lake: ${join(dir, 'file')} is not a folder`);
    rmSync(dir, { recursive: true, force: true });
  });

  it('names the manifest that is not valid JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lake-'));
    const store = new LocalObjectStore(dir);
    await store.put('manifests/extract/20260101T000000000Z-abcdef.json', '{"version": 1, "stage": "extr');
    await expect(readManifest(store, 'extract', '20260101T000000000Z-abcdef')).rejects.toThrow(
      new RegExp(`^${join(dir, 'manifests/extract/20260101T000000000Z-abcdef.json').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not valid JSON \\(`),
    );
    rmSync(dir, { recursive: true, force: true });
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
