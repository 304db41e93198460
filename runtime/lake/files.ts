import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { ChecksumStream } from './checksum';
import type { LakeObject } from './manifest';
import type { ObjectStore } from './port';

/** Uploads a local file as a lake object, streaming, and describes it for a manifest. */
export async function uploadFile(lake: ObjectStore, localPath: string, key: string, rows: number, contentType: string): Promise<LakeObject> {
  const checksum = new ChecksumStream();
  await pipeline(createReadStream(localPath), checksum, new Writable({ write: (_c, _e, done) => done() }));
  await lake.put(key, createReadStream(localPath), contentType);
  return { key, rows, bytes: checksum.bytes, sha256: checksum.digest() };
}
