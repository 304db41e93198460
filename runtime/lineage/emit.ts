import { lineageKey } from '../lake/keys';
import type { ObjectStore } from '../lake/port';
import { redact } from '../telemetry/redact';
import type { RunEvent } from './openlineage';

export const OPENLINEAGE_URL_ENV = 'TRIBUTARY_OPENLINEAGE_URL';
const POST_TIMEOUT_MS = 5000;

/** Marquez-style endpoint: a base URL gets `/api/v1/lineage`; a full lineage URL is kept. */
export function lineageEndpoint(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return /\/api\/v1\/lineage$/.test(trimmed) ? trimmed : `${trimmed}/api/v1/lineage`;
}

/** Writes every event of the run so far to lineage/<runId>.json (the lake keeps them all). */
export async function writeLineage(lake: ObjectStore, runId: string, events: RunEvent[]): Promise<void> {
  await lake.put(lineageKey(runId), JSON.stringify(events, null, 2), 'application/json');
}

/**
 * POSTs one event to an OpenLineage HTTP endpoint. A consumer that is down must not fail the
 * pipeline (the lake holds the events to replay), so this returns the problem instead of throwing.
 */
export async function postLineage(url: string, event: RunEvent): Promise<string | undefined> {
  try {
    const res = await fetch(lineageEndpoint(url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event),
      signal: AbortSignal.timeout(POST_TIMEOUT_MS),
    });
    await res.arrayBuffer();
    return res.ok ? undefined : `OpenLineage endpoint answered ${res.status} ${res.statusText}`.trim();
  } catch (err) {
    return redact(`OpenLineage endpoint unreachable: ${(err as Error).message}`);
  }
}
