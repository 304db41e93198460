import { LocalObjectStore } from './local';
import type { ObjectStore } from './port';

/**
 * True when a location starts like a URL (`s3:`, `gs://`, `s3:/bucket`): it must then be a
 * well-formed one, never quietly a local folder called `s3:`.
 */
export function isUrlLike(location: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(location);
}

/** Opens `s3://bucket/prefix` (optionally through an endpoint) or a local folder path. */
export function openLake(location: string, s3Endpoint?: string): ObjectStore {
  if (location.startsWith('s3://')) {
    const rest = location.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const prefix = slash < 0 ? '' : rest.slice(slash + 1);
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw new Error(`lake: ${JSON.stringify(bucket)} is not a valid S3 bucket name`);
    }
    // The AWS SDK is loaded only for an S3 lake (~0.2 s a local run need not pay).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { S3ObjectStore } = require('./s3') as typeof import('./s3');
    return new S3ObjectStore({ bucket, prefix, endpoint: s3Endpoint });
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    throw new Error(`lake: unsupported scheme in ${JSON.stringify(location.split('://')[0] + '://')}; use a folder or s3://bucket/prefix`);
  }
  if (isUrlLike(location)) {
    const scheme = location.slice(0, location.indexOf(':'));
    const hint = scheme.toLowerCase() === 's3' ? ` (did you mean s3://${location.slice(location.indexOf(':') + 1).replace(/^\/+/, '')}?)` : '';
    throw new Error(`lake: ${JSON.stringify(location)} is neither a folder nor s3://bucket/prefix${hint}; write ./${location} for a folder of that name`);
  }
  return new LocalObjectStore(location);
}
