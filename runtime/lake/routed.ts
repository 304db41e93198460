import type { Body, ObjectStore, PutResult } from './port';
import type { Readable } from 'node:stream';

/**
 * Splits one lake over two stores the way the deployed platform does: `processed/` and
 * `manifests/transform/` live in the processed bucket, everything else (raw, extract
 * manifests, state) in the raw bucket.
 */
export class RoutedObjectStore implements ObjectStore {
  readonly location: string;

  constructor(
    private readonly raw: ObjectStore,
    private readonly processed: ObjectStore,
  ) {
    this.location = `${raw.location} + ${processed.location}`;
  }

  static isProcessedKey(key: string): boolean {
    return key.startsWith('processed/') || key.startsWith('manifests/transform/');
  }

  private storeFor(key: string): ObjectStore {
    return RoutedObjectStore.isProcessedKey(key) ? this.processed : this.raw;
  }

  put(key: string, body: Body, contentType?: string): Promise<PutResult> {
    return this.storeFor(key).put(key, body, contentType);
  }
  putIfAbsent(key: string, body: Buffer | string): Promise<boolean> {
    return this.storeFor(key).putIfAbsent(key, body);
  }
  putIfMatch(key: string, body: Buffer | string, expectedTag: string | null): Promise<boolean> {
    return this.storeFor(key).putIfMatch(key, body, expectedTag);
  }
  getStream(key: string): Promise<Readable> {
    return this.storeFor(key).getStream(key);
  }
  getText(key: string): Promise<string | undefined> {
    return this.storeFor(key).getText(key);
  }
  getWithTag(key: string): Promise<{ text: string; tag: string } | undefined> {
    return this.storeFor(key).getWithTag(key);
  }
  download(key: string, localPath: string): Promise<void> {
    return this.storeFor(key).download(key, localPath);
  }
  list(prefix: string, startAfter?: string): Promise<string[]> {
    return this.storeFor(prefix).list(prefix, startAfter);
  }
  delete(key: string): Promise<void> {
    return this.storeFor(key).delete(key);
  }

  async probe(): Promise<void> {
    await this.raw.probe();
    await this.processed.probe();
  }
}
