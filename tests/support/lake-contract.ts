import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ObjectStore } from '../../runtime/lake/port';

async function streamToBuffer(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** The behaviour every ObjectStore adapter must have, run against each one. */
export function objectStoreContract(name: string, open: () => Promise<ObjectStore>): void {
  describe(`${name} object store`, () => {
    let store: ObjectStore;
    beforeAll(async () => {
      store = await open();
    });

    it('answers a probe and leaves no object behind', async () => {
      await store.probe();
      expect(await store.list('')).toEqual([]);
    });

    it('writes, reads and lists objects in key order after a given key', async () => {
      await store.put('manifests/extract/b.json', '{"b":1}');
      await store.put('manifests/extract/a.json', Buffer.from('{"a":1}'));
      await store.put('manifests/extract/c.json', '{"c":1}');
      await store.put('manifests/transform/a.json', '{}');
      expect(await store.getText('manifests/extract/a.json')).toBe('{"a":1}');
      expect(await store.getText('manifests/extract/missing.json')).toBeUndefined();
      expect(await store.list('manifests/extract/')).toEqual(['manifests/extract/a.json', 'manifests/extract/b.json', 'manifests/extract/c.json']);
      expect(await store.list('manifests/extract/', 'manifests/extract/a.json')).toEqual(['manifests/extract/b.json', 'manifests/extract/c.json']);
      expect(await store.list('nothing/here/')).toEqual([]);
    });

    it('streams a large body without changing a byte and reports its size', async () => {
      // 20 MiB crosses the S3 adapter's 8 MiB part size: a multipart upload.
      const data = randomBytes(20 * 1024 * 1024);
      const body = Readable.from((function* () {
        for (let i = 0; i < data.length; i += 1024 * 1024) yield data.subarray(i, i + 1024 * 1024);
      })());
      const put = await store.put('raw/src/big/year=2024/month=01/day=01/run-0000.bin', body);
      expect(put.bytes).toBe(data.length);
      const back = await streamToBuffer(await store.getStream('raw/src/big/year=2024/month=01/day=01/run-0000.bin'));
      expect(createHash('sha256').update(back).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
      const local = join(mkdtempSync(join(tmpdir(), 'dl-')), 'copy.bin');
      await store.download('raw/src/big/year=2024/month=01/day=01/run-0000.bin', local);
      expect(readFileSync(local).equals(data)).toBe(true);
    });

    it('creates an object only once with putIfAbsent', async () => {
      expect(await store.putIfAbsent('state/src/_lock.json', 'first')).toBe(true);
      expect(await store.putIfAbsent('state/src/_lock.json', 'second')).toBe(false);
      expect(await store.getText('state/src/_lock.json')).toBe('first');
    });

    it('replaces an object only when it is still the version that was read', async () => {
      expect(await store.putIfMatch('state/src/t.json', 'v1', null)).toBe(true);
      expect(await store.putIfMatch('state/src/t.json', 'again', null)).toBe(false);
      const v1 = await store.getWithTag('state/src/t.json');
      expect(v1?.text).toBe('v1');
      expect(await store.putIfMatch('state/src/t.json', 'v2', v1!.tag)).toBe(true);
      // A writer holding the old version loses.
      expect(await store.putIfMatch('state/src/t.json', 'v3', v1!.tag)).toBe(false);
      expect(await store.getText('state/src/t.json')).toBe('v2');
      await store.delete('state/src/t.json');
      expect(await store.getText('state/src/t.json')).toBeUndefined();
    });
  });
}
