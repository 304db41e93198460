import type { ObjectStore } from './port';

/** Where an object lives, as a person would look for it: `/path/lake/key` or `s3://bucket/prefix/key`. */
export function objectLocation(store: ObjectStore, key: string): string {
  return `${store.location.replace(/\/+$/, '')}/${key}`;
}

/**
 * Parses a JSON object read from the lake (manifest, watermark, marker). JSON.parse alone says
 * "Unexpected token … at position 0" and nothing about which of thousands of files it was.
 */
export function parseLakeJson<T>(store: ObjectStore, key: string, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`${objectLocation(store, key)} is not valid JSON (${(err as Error).message}); restore it from a backup or version, or remove it`);
  }
}
