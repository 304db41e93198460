import type { Readable } from 'node:stream';

export type Body = Readable | Buffer | string;

export interface PutResult {
  key: string;
  bytes: number;
}

/**
 * The lake's object store: an S3 bucket (under a prefix) or a local folder, same keys.
 * Keys always use `/` and never start with one.
 */
export interface ObjectStore {
  /** Human-readable location, e.g. `s3://bucket/prefix` or `/path/to/lake`; never holds credentials. */
  readonly location: string;
  /** Writes an object, replacing any previous one. Streams are not buffered in memory. */
  put(key: string, body: Body, contentType?: string): Promise<PutResult>;
  /** Writes the object only if no object has the key yet; returns false when one exists. */
  putIfAbsent(key: string, body: Buffer | string): Promise<boolean>;
  /**
   * Replaces an object only if it is still the version read earlier (`expectedTag` from
   * `getWithTag`, or null for "must not exist"); returns false when someone else wrote it.
   */
  putIfMatch(key: string, body: Buffer | string, expectedTag: string | null): Promise<boolean>;
  getStream(key: string): Promise<Readable>;
  /** Reads a small object, or undefined when it does not exist. */
  getText(key: string): Promise<string | undefined>;
  getWithTag(key: string): Promise<{ text: string; tag: string } | undefined>;
  /** Copies an object to a local file (used to hand files to DuckDB). */
  download(key: string, localPath: string): Promise<void>;
  /** Keys under a prefix in lexical order, optionally only those after `startAfter`. */
  list(prefix: string, startAfter?: string): Promise<string[]>;
  delete(key: string): Promise<void>;
  /**
   * Fails fast, naming the location, when the store cannot be reached (or, for a folder,
   * written); leaves nothing behind. Run before a pass writes anything.
   */
  probe(): Promise<void>;
}
