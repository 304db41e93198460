import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, type Gzip } from 'node:zlib';
import { ChecksumStream } from '../../lake/checksum';
import type { LakeObject } from '../../lake/manifest';
import type { ObjectStore } from '../../lake/port';

/**
 * A gzip JSON Lines object streamed into the lake while pages arrive: one page is one write
 * (gzip per line is ~9x slower), and backpressure from the upload pauses the reader.
 */
export class JsonlGzipObject {
  rows = 0;
  private readonly gzip: Gzip = createGzip({ level: 6 });
  private readonly checksum = new ChecksumStream();
  private readonly done: Promise<unknown>;

  constructor(
    private readonly lake: ObjectStore,
    readonly key: string,
  ) {
    const body = new PassThrough();
    this.done = Promise.all([pipeline(this.gzip, this.checksum, body), lake.put(key, body, 'application/gzip')]);
    // Observed here so a failed upload surfaces through write()/finish(), never as unhandled.
    this.done.catch(() => undefined);
  }

  async writeLines(lines: string[]): Promise<void> {
    if (lines.length === 0) return;
    this.rows += lines.length;
    if (!this.gzip.write(lines.join('\n') + '\n')) {
      await Promise.race([
        once(this.gzip, 'drain'),
        this.done.then(() => {
          throw new Error(`upload of ${this.key} ended before its data was written`);
        }),
      ]);
    }
  }

  async finish(): Promise<LakeObject> {
    this.gzip.end();
    await this.done;
    return { key: this.key, rows: this.rows, bytes: this.checksum.bytes, sha256: this.checksum.digest() };
  }

  /** Stops the upload and removes whatever reached the store: a failed table leaves nothing. */
  async abort(): Promise<void> {
    this.gzip.destroy(new Error('aborted'));
    await this.done.catch(() => undefined);
    await this.lake.delete(this.key).catch(() => undefined);
  }
}
