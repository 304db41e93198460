/**
 * What AWS authorizes for one HTTP request an SDK sends: the service from the SigV4 credential
 * scope, the action from `X-Amz-Target` (JSON protocols), the `Action` form field (query
 * protocols) or S3's method + path + query, the resource ARN, and the condition keys AWS sets.
 * Also the calls AWS makes for the caller: S3 and Secrets Manager and SNS call KMS with the
 * caller's identity (`kms:ViaService`) to encrypt or decrypt with the resource's key.
 */
import type { AwsCall } from './iam';

export interface HttpRequest {
  readonly method: string;
  /** Path and query, as sent (path-style S3). */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

/** What the stack knows about resources, so a request's names become ARNs and keys. */
export interface ResourceCatalog {
  readonly region: string;
  readonly accountId: string;
  /** The KMS key a bucket encrypts new objects with, and whether it uses an S3 Bucket Key. */
  bucketEncryption(bucket: string): { keyArn: string; bucketKey: boolean } | undefined;
  /** A SecretId as the function sent it (ARN as moto named it, or name) → the stack's ARN and key. */
  secret(secretId: string): { arn: string; keyArn?: string } | undefined;
  topicKey(topicArn: string): string | undefined;
  /** Redshift Data API target ARN for a workgroup name or cluster identifier. */
  redshiftTarget(params: { WorkgroupName?: string; ClusterIdentifier?: string }): string | undefined;
}

export interface ParsedRequest {
  readonly service: string;
  /** The API operation (`GetObject`, `GetSecretValue`, …). */
  readonly operation: string;
  /** The calls to authorize, the request's own first, then those AWS makes for the caller. */
  readonly calls: Array<Omit<AwsCall, 'principal'> & { readonly onBehalf?: boolean; readonly onlyIfFound?: boolean }>;
  /** S3 GET/HEAD of an object: the bucket and key (for the 403-or-404 answer of a missing key). */
  readonly s3Object?: { bucket: string; key: string };
}

const header = (h: HttpRequest['headers'], name: string): string => {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : (v ?? '');
};

/** `Credential=AKID/20260101/eu-west-2/s3/aws4_request` → access key, region, service. */
export function credentialScope(authorization: string): { accessKeyId: string; region: string; service: string } | undefined {
  const m = /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(authorization);
  return m ? { accessKeyId: m[1], region: m[2], service: m[3] } : undefined;
}

function jsonBody(body: Buffer): Record<string, unknown> {
  try {
    return body.length ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function parseRequest(req: HttpRequest, catalog: ResourceCatalog): ParsedRequest {
  const scope = credentialScope(header(req.headers, 'authorization'));
  if (!scope) throw new Error(`unsigned request ${req.method} ${req.url}: every call must carry SigV4 credentials`);
  const base = { 'aws:SecureTransport': 'true', 'aws:RequestedRegion': scope.region };
  if (scope.service === 's3') return parseS3(req, catalog, base);
  const target = header(req.headers, 'x-amz-target');
  const acct = catalog.accountId;
  const region = catalog.region;
  if (target) {
    const operation = target.split('.').pop()!;
    const body = jsonBody(req.body);
    const action = `${scope.service}:${operation}`;
    if (scope.service === 'secretsmanager') {
      const secret = catalog.secret(String(body.SecretId ?? ''));
      const arn = secret?.arn ?? `arn:aws:secretsmanager:${region}:${acct}:secret:${String(body.SecretId)}`;
      const calls: ParsedRequest['calls'] = [{ action, resource: arn, context: base }];
      if (secret?.keyArn && operation === 'GetSecretValue')
        calls.push({ action: 'kms:Decrypt', resource: secret.keyArn, context: { ...base, 'kms:ViaService': `secretsmanager.${region}.amazonaws.com`, 'kms:CallerAccount': acct, 'kms:EncryptionContext:SecretARN': arn }, onBehalf: true });
      return { service: scope.service, operation, calls };
    }
    if (scope.service === 'logs') {
      const group = `arn:aws:logs:${region}:${acct}:log-group:${String(body.logGroupName ?? '')}`;
      const resource = body.logStreamName ? `${group}:log-stream:${String(body.logStreamName)}` : group;
      return { service: scope.service, operation, calls: [{ action, resource, context: base }] };
    }
    if (scope.service === 'redshift-data') {
      const submits = operation === 'ExecuteStatement' || operation === 'BatchExecuteStatement';
      const resource = submits ? (catalog.redshiftTarget(body as never) ?? '*') : '*';
      const calls: ParsedRequest['calls'] = [{ action, resource, context: base }];
      // Without a secret, the Data API fetches temporary database credentials as the caller.
      if (submits && !body.SecretArn && body.WorkgroupName) calls.push({ action: 'redshift-serverless:GetCredentials', resource, context: base, onBehalf: true });
      return { service: scope.service, operation, calls };
    }
    return { service: scope.service, operation, calls: [{ action, resource: '*', context: base }] };
  }
  const form = new URLSearchParams(req.body.toString('utf8'));
  const query = new URL(req.url, 'http://x').searchParams;
  const operation = form.get('Action') ?? query.get('Action') ?? `${req.method} ${req.url}`;
  const action = `${scope.service}:${operation}`;
  if (scope.service === 'sns') {
    const topic = form.get('TopicArn') ?? form.get('TargetArn') ?? '*';
    const calls: ParsedRequest['calls'] = [{ action, resource: topic, context: base }];
    const key = catalog.topicKey(topic);
    if (key && operation === 'Publish') {
      const kms = { ...base, 'kms:ViaService': `sns.${region}.amazonaws.com`, 'kms:CallerAccount': acct };
      calls.push({ action: 'kms:GenerateDataKey', resource: key, context: kms, onBehalf: true }, { action: 'kms:Decrypt', resource: key, context: kms, onBehalf: true });
    }
    return { service: scope.service, operation, calls };
  }
  return { service: scope.service, operation, calls: [{ action, resource: '*', context: base }] };
}

function parseS3(req: HttpRequest, catalog: ResourceCatalog, base: Record<string, string>): ParsedRequest {
  const u = new URL(req.url, 'http://x');
  const [, bucket = '', ...rest] = u.pathname.split('/');
  const key = decodeURIComponent(rest.join('/'));
  const q = u.searchParams;
  const bucketArn = `arn:aws:s3:::${bucket}`;
  const objectArn = `${bucketArn}/${key}`;
  const enc = catalog.bucketEncryption(bucket);
  const kms = (action: string, arn: string, onlyIfFound = false) =>
    enc
      ? [
          {
            action,
            resource: enc.keyArn,
            context: { ...base, 'kms:ViaService': `s3.${catalog.region}.amazonaws.com`, 'kms:CallerAccount': catalog.accountId, 'kms:EncryptionContext:aws:s3:arn': enc.bucketKey ? bucketArn : arn },
            onBehalf: true,
            onlyIfFound,
          },
        ]
      : [];
  const one = (operation: string, action: string, resource: string, extra: ParsedRequest['calls'] = [], context: Record<string, string> = {}): ParsedRequest => ({
    service: 's3',
    operation,
    calls: [{ action, resource, context: { ...base, ...context } }, ...extra],
  });
  const m = req.method.toUpperCase();
  if (!key) {
    if (m === 'GET' && q.has('location')) return one('GetBucketLocation', 's3:GetBucketLocation', bucketArn);
    if (m === 'GET' && q.has('uploads')) return one('ListMultipartUploads', 's3:ListBucketMultipartUploads', bucketArn);
    if (m === 'GET' || m === 'HEAD') {
      const context: Record<string, string> = {};
      if (q.has('prefix')) context['s3:prefix'] = q.get('prefix')!;
      if (q.has('delimiter')) context['s3:delimiter'] = q.get('delimiter')!;
      if (q.has('max-keys')) context['s3:max-keys'] = q.get('max-keys')!;
      return one(m === 'HEAD' ? 'HeadBucket' : 'ListObjectsV2', 's3:ListBucket', bucketArn, [], context);
    }
    if (m === 'POST' && q.has('delete')) {
      const keys = [...req.body.toString('utf8').matchAll(/<Key>([^<]*)<\/Key>/g)].map((k) => k[1].replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>'));
      return { service: 's3', operation: 'DeleteObjects', calls: keys.map((k) => ({ action: 's3:DeleteObject', resource: `${bucketArn}/${k}`, context: base })) };
    }
    return one(`${m} bucket`, `s3:${m}Bucket`, bucketArn);
  }
  if (m === 'GET' && q.has('uploadId')) return one('ListParts', 's3:ListMultipartUploadParts', objectArn);
  if (m === 'GET' || m === 'HEAD') {
    const versioned = q.has('versionId');
    const action = versioned ? 's3:GetObjectVersion' : 's3:GetObject';
    // HEAD reads metadata only: S3 does not decrypt.
    const parsed = one(m === 'HEAD' ? 'HeadObject' : 'GetObject', action, objectArn, m === 'GET' ? kms('kms:Decrypt', objectArn, true) : []);
    return { ...parsed, s3Object: { bucket, key } };
  }
  if (m === 'PUT' && q.has('uploadId')) return one('UploadPart', 's3:PutObject', objectArn);
  if (m === 'PUT') {
    const source = header(req.headers, 'x-amz-copy-source');
    const copy: ParsedRequest['calls'] = source ? [{ action: 's3:GetObject', resource: `arn:aws:s3:::${decodeURIComponent(source.replace(/^\//, '').split('?')[0])}`, context: base }] : [];
    return one(source ? 'CopyObject' : 'PutObject', 's3:PutObject', objectArn, [...copy, ...kms('kms:GenerateDataKey', objectArn)]);
  }
  if (m === 'POST' && q.has('uploads')) return one('CreateMultipartUpload', 's3:PutObject', objectArn, kms('kms:GenerateDataKey', objectArn));
  // S3 decrypts the parts to complete an SSE-KMS multipart upload (hence kms:Decrypt for writers).
  if (m === 'POST' && q.has('uploadId')) return one('CompleteMultipartUpload', 's3:PutObject', objectArn, kms('kms:Decrypt', objectArn));
  if (m === 'DELETE' && q.has('uploadId')) return one('AbortMultipartUpload', 's3:AbortMultipartUpload', objectArn);
  if (m === 'DELETE') return one('DeleteObject', 's3:DeleteObject', objectArn);
  return one(`${m} object`, `s3:${m}Object`, objectArn);
}
