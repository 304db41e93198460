import { createWriteStream, promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { explainAwsError } from '../config/aws-credentials';
import type { Body, ObjectStore, PutResult } from './port';

export interface S3StoreOptions {
  bucket: string;
  /** Key prefix inside the bucket, without leading or trailing slash ('' for the bucket root). */
  prefix?: string;
  /** Endpoint override (moto, MinIO, LocalStack); path-style addressing is used with it. */
  endpoint?: string;
  client?: S3Client;
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function isNotFound(err: unknown): boolean {
  const name = (err as { name?: string })?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || statusOf(err) === 404;
}

/** 412 is a failed precondition; 409 a concurrent conditional write S3 asks to retry as a loss. */
function isConditionLost(err: unknown): boolean {
  const status = statusOf(err);
  return status === 412 || status === 409;
}

class CountingStream extends Readable {
  bytes = 0;
  constructor(private readonly source: Readable) {
    super();
    source.on('data', (chunk: Buffer) => {
      this.bytes += chunk.length;
      if (!this.push(chunk)) source.pause();
    });
    source.on('end', () => this.push(null));
    source.on('error', (err) => this.destroy(err));
  }
  override _read(): void {
    this.source.resume();
  }
}

export function s3ClientFor(endpoint?: string, region?: string): S3Client {
  const config: S3ClientConfig = {
    region: region ?? process.env.AWS_REGION ?? 'eu-west-2',
    // Checksums only when an operation requires them: streamed multipart parts otherwise get
    // trailing checksums some S3-compatible servers reject.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
  if (endpoint) {
    config.endpoint = endpoint;
    config.forcePathStyle = true;
  }
  return new S3Client(config);
}

/** The lake in an S3 bucket. Streams are uploaded as multipart uploads, never buffered whole. */
export class S3ObjectStore implements ObjectStore {
  readonly location: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(options: S3StoreOptions) {
    this.bucket = options.bucket;
    this.prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.client = options.client ?? s3ClientFor(options.endpoint);
    this.location = `s3://${this.bucket}${this.prefix ? `/${this.prefix}` : ''}`;
  }

  private fullKey(key: string): string {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  private lakeKey(fullKey: string): string {
    return this.prefix ? fullKey.slice(this.prefix.length + 1) : fullKey;
  }

  async put(key: string, body: Body, contentType?: string): Promise<PutResult> {
    if (typeof body === 'string' || Buffer.isBuffer(body)) {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key), Body: body, ContentType: contentType }),
      );
      return { key, bytes: Buffer.byteLength(body) };
    }
    const counted = new CountingStream(body);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.fullKey(key), Body: counted, ContentType: contentType },
      partSize: 8 * 1024 * 1024,
      queueSize: 2,
      leavePartsOnError: false,
    });
    await upload.done();
    return { key, bytes: counted.bytes };
  }

  private async conditionalPut(key: string, body: Buffer | string, condition: { IfNoneMatch?: string; IfMatch?: string }): Promise<boolean> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key), Body: body, ...condition }));
      return true;
    } catch (err) {
      if (isConditionLost(err)) return false;
      throw err;
    }
  }

  putIfAbsent(key: string, body: Buffer | string): Promise<boolean> {
    return this.conditionalPut(key, body, { IfNoneMatch: '*' });
  }

  putIfMatch(key: string, body: Buffer | string, expectedTag: string | null): Promise<boolean> {
    return expectedTag === null
      ? this.putIfAbsent(key, body)
      : this.conditionalPut(key, body, { IfMatch: expectedTag });
  }

  async getStream(key: string): Promise<Readable> {
    const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }));
    return res.Body as Readable;
  }

  async getWithTag(key: string): Promise<{ text: string; tag: string } | undefined> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }));
      const text = await res.Body!.transformToString('utf8');
      return { text, tag: res.ETag ?? '' };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async getText(key: string): Promise<string | undefined> {
    return (await this.getWithTag(key))?.text;
  }

  async download(key: string, localPath: string): Promise<void> {
    await fs.mkdir(dirname(localPath), { recursive: true });
    await pipeline(await this.getStream(key), createWriteStream(localPath));
  }

  async list(prefix: string, startAfter?: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const res = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.fullKey(prefix),
          StartAfter: startAfter === undefined ? undefined : this.fullKey(startAfter),
          ContinuationToken: token,
        }),
      );
      for (const obj of res.Contents ?? []) if (obj.Key) keys.push(this.lakeKey(obj.Key));
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }));
  }

  /** One ListObjectsV2 of at most one key: the bucket, the endpoint and the credentials answer. */
  async probe(): Promise<void> {
    try {
      await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix ? `${this.prefix}/` : undefined, MaxKeys: 1 }));
    } catch (err) {
      throw new Error(`lake: ${this.location} cannot be reached: ${explainAwsError(err).message}`);
    }
  }
}
