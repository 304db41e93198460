import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { objectLocation } from './json';
import type { LakeObject } from './manifest';
import type { ObjectStore } from './port';

/**
 * An object whose bytes are not the ones its manifest recorded (truncated, overwritten, bit rot).
 * Reading it anyway fails later as a CSV or Parquet error that names neither the object nor
 * what to do, and a run that goes on would build on it.
 */
export class CorruptObjectError extends Error {
  override name = 'CorruptObjectError';
  constructor(
    readonly key: string,
    readonly manifestKey: string,
    message: string,
  ) {
    super(message);
  }
}

async function sha256Of(stream: AsyncIterable<Buffer | string>): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    bytes += buf.length;
    hash.update(buf);
  }
  return { sha256: hash.digest('hex'), bytes };
}

function mismatch(lake: ObjectStore, object: LakeObject, manifestKey: string, found: { sha256: string; bytes: number }, recovery: string): CorruptObjectError {
  return new CorruptObjectError(
    object.key,
    manifestKey,
    `${objectLocation(lake, object.key)} does not match ${manifestKey} (sha256 ${found.sha256.slice(0, 12)}…, ${found.bytes} bytes; ` +
      `the manifest recorded ${object.sha256.slice(0, 12)}…, ${object.bytes} bytes); nothing was written. ${recovery}`,
  );
}

/** What the error tells a person to do; the re-extract is documented in README "Recovering a damaged lake object". */
export function reextractHint(runId: string): string {
  return `Recover: tributary reextract --run ${runId} (then tributary run re-extracts that range)`;
}

/** Hashes a stored object and throws a CorruptObjectError naming it when it differs from its manifest. */
export async function verifyObject(lake: ObjectStore, object: LakeObject, manifestKey: string, recovery: string): Promise<void> {
  let found;
  try {
    found = await sha256Of(await lake.getStream(object.key));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && (err as { name?: string }).name !== 'NoSuchKey') throw err;
    throw new CorruptObjectError(object.key, manifestKey, `${objectLocation(lake, object.key)}, listed in ${manifestKey}, is missing; nothing was written. ${recovery}`);
  }
  if (found.sha256 !== object.sha256 || found.bytes !== object.bytes) throw mismatch(lake, object, manifestKey, found, recovery);
}

/** Downloads an object for DuckDB and checks the local copy against the manifest's sha256. */
export async function downloadVerified(lake: ObjectStore, object: LakeObject, localPath: string, manifestKey: string, recovery: string): Promise<void> {
  await lake.download(object.key, localPath);
  const found = await sha256Of(createReadStream(localPath));
  if (found.sha256 !== object.sha256 || found.bytes !== object.bytes) throw mismatch(lake, object, manifestKey, found, recovery);
}
