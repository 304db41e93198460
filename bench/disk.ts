import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Bytes of every file under `dir` now (0 when it is gone). */
export async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await folderBytes(path);
    else if (entry.isFile()) total += await stat(path).then((s) => s.size, () => 0);
  }
  return total;
}

/**
 * The largest size `dir` reached while a step ran: a unit's /tmp (DuckDB spill, staged files),
 * sampled every `everyMs` — a file that lives shorter than that can be missed.
 */
export function watchPeakBytes(dir: string, everyMs = 100): { stop: () => Promise<number> } {
  let peak = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      peak = Math.max(peak, await folderBytes(dir));
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return Math.max(peak, await folderBytes(dir));
    },
  };
}
