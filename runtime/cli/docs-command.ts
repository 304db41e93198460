import { parsePostgresUrl, UsageError } from '../config/urls';
import { DEFAULT_SLA_MINUTES } from '../docs/collect';
import { buildSite, serveSite, writeSite } from '../docs/site';
import type { CliIo } from './commands';
import { parseCommand } from './options';
import { lakeFrom } from './pipeline-options';
import { DOCS } from './specs';
import { LocalServices } from './local-env';

export const DEFAULT_DOCS_PORT = 8765;

function wholeNumber(text: string | boolean | undefined, option: string, min: number, max: number): number | undefined {
  if (typeof text !== 'string') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new UsageError(`${option}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  return value;
}

/** Resolves on Ctrl-C (or SIGTERM): how long `--serve` keeps serving. */
function stopRequested(): Promise<void> {
  return new Promise((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/**
 * `tributary docs --out <dir>` writes the run history and data-docs site; `--serve` serves it on
 * 127.0.0.1 until stopped. Both read the lake and the warehouse (embedded defaults when omitted).
 */
export async function docsCommand(argv: string[], io: CliIo, until: () => Promise<void> = stopRequested): Promise<number> {
  const { values } = parseCommand(DOCS, argv);
  const out = typeof values.out === 'string' && values.out ? values.out : undefined;
  if (!out && !values.serve) throw new UsageError('give --out <dir> to write the site, or --serve to serve it');
  const port = wholeNumber(values.port, '--port', 0, 65535) ?? DEFAULT_DOCS_PORT;
  const slaMinutes = wholeNumber(values['sla-minutes'], '--sla-minutes', 1, 10080) ?? DEFAULT_SLA_MINUTES;
  let warehouseUrl = (typeof values.warehouse === 'string' && values.warehouse) || io.env.TRIBUTARY_WAREHOUSE_URL || undefined;
  if (warehouseUrl) parsePostgresUrl(warehouseUrl, '--warehouse');
  const lake = lakeFrom(values, io.env);
  const local = new LocalServices();
  let files;
  try {
    warehouseUrl ??= await local.url('warehouse');
    files = await buildSite({ lake, warehouseUrl, slaMinutes });
  } finally {
    await local.stop();
  }
  if (out) {
    const written = await writeSite(files, out);
    io.out(`wrote ${written.length} pages to ${out} (open ${out.replace(/\/+$/, '')}/index.html)`);
  }
  if (values.serve) {
    const served = await serveSite(files, port);
    io.out(`serving on ${served.url} (Ctrl-C to stop)`);
    await until();
    await served.close();
  }
  return 0;
}
