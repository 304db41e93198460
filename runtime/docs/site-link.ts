import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { DEFAULTS, ENV } from '../contract';
import { UsageError } from '../config/urls';
import { s3ClientFor } from '../lake/s3';

// Kept apart from the site's builder: the notifier links to the site without bundling DuckDB or pg.

/** `s3://bucket/key` of the deployed site, split. */
export function siteObject(location: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+\.html)$/.exec(location);
  if (!m) throw new UsageError(`${ENV.siteLocation}=${location}: expected s3://<bucket>/<key>.html`);
  return { bucket: m[1], key: m[2] };
}

/** The fragment of a run's page in the single-file site (render.ts names run pages so). */
export function runAnchor(runId: string): string {
  return `run-${runId}`;
}

/**
 * A presigned GET of the deployed site, for the alert's link; with a run, the fragment opens
 * that run's page (a fragment is not part of the signature). Signed with the caller's
 * credentials: the notifier's role may read `site/*` and nothing else of the bucket.
 */
export async function siteLink(location: string, options: { runId?: string; endpoint?: string; region?: string; expiresInSeconds?: number } = {}): Promise<string> {
  const { bucket, key } = siteObject(location);
  const client = s3ClientFor(options.endpoint, options.region);
  try {
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: options.expiresInSeconds ?? DEFAULTS.siteLinkSeconds });
    return options.runId ? `${url}#${runAnchor(options.runId)}` : url;
  } finally {
    client.destroy();
  }
}
