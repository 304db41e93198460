import { stoppedTableChecks } from '../../runtime/handlers/extract';
import type { ExtractManifest } from '../../runtime/lake/manifest';

const manifest = (tables: ExtractManifest['tables']): ExtractManifest => ({
  version: 1,
  stage: 'extract',
  runId: '20261202T000000Z-abc',
  source: 'recurly',
  format: 'jsonl.gz',
  purpose: 'incremental',
  startedAt: '2026-12-02T00:00:00.000Z',
  finishedAt: '2026-12-02T00:00:01.000Z',
  tables,
});

describe("extract's data-quality alert for stopped tables", () => {
  it('names each stopped table with its source message, not a guessed cause', () => {
    const checks = stoppedTableChecks(
      manifest({
        accounts: { rows: 80, objects: [], watermark: { from: null, to: '2026-12-01' }, snapshot: null, columns: [] },
        invoices: { rows: 0, objects: [], watermark: { from: null, to: null }, snapshot: null, columns: [], error: 'page 3 of invoices: Unexpected token < in JSON; table stopped, watermark not advanced' },
      }),
    );
    expect(checks).toEqual([{ name: 'table stopped, watermark kept', table: 'invoices', passed: false, detail: expect.stringContaining('page 3 of invoices') }]);
    // A REST page error is not schema drift: the alert must not tell the on-call person it is.
    expect(JSON.stringify(checks)).not.toMatch(/schema drift/);
  });

  it('has no checks when every table was extracted', () => {
    expect(stoppedTableChecks(manifest({ accounts: { rows: 1, objects: [], watermark: { from: null, to: 'x' }, snapshot: null, columns: [] } }))).toEqual([]);
  });
});
