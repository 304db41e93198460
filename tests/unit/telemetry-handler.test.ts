import { parsePostgresSecret, postgresUrlFromSecret } from '../../runtime/config/secrets';
import { instrumentHandler } from '../../runtime/telemetry/handler';
import { createLogger } from '../../runtime/telemetry/logger';
import { createMetrics, recordFreshnessLag, recordTableRows } from '../../runtime/telemetry/metrics';
import { clearRegisteredSecrets } from '../../runtime/telemetry/redact';

const PASSWORD = 'Pw-7f3a9c-known';

/** Captures what Powertools writes (its Console: info to stdout, warn/error to stderr). */
function captureOutput(): { lines: () => string[]; restore: () => void } {
  const chunks: string[] = [];
  const sink = (chunk: string | Uint8Array): boolean => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(sink),
    jest.spyOn(process.stderr, 'write').mockImplementation(sink),
  ];
  return {
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l.trim().length > 0),
    restore: () => spies.forEach((s) => s.mockRestore()),
  };
}

function records(lines: string[]): Array<Record<string, unknown>> {
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

let out: ReturnType<typeof captureOutput>;
beforeEach(() => {
  delete process.env.POWERTOOLS_DEV;
  delete process.env.POWERTOOLS_METRICS_DISABLED;
  out = captureOutput();
});
afterEach(() => {
  out.restore();
  clearRegisteredSecrets();
});

describe('instrumentHandler', () => {
  it('logs start and success with run id as correlation id, duration and summary; emits EMF metrics', async () => {
    let t = 1_000;
    const handler = instrumentHandler(
      'extract',
      async (event: { runId: string }, tel) => {
        tel.logger.info('table extracted', { table: 'sales_order', rows: 42 });
        recordTableRows(tel.metrics, 'RowsExtracted', 'sales_order', 42);
        t += 250;
        return { runId: event.runId, tables: 1 };
      },
      {
        logger: createLogger({ keys: { stage: 'extract' } }),
        metrics: createMetrics({ stage: 'extract', namespace: 'TributaryTest' }),
        summarize: (r) => ({ tables: r.tables }),
        now: () => t,
      },
    );
    await expect(handler({ runId: 'run-123' }, { awsRequestId: 'req-1' })).resolves.toEqual({
      runId: 'run-123',
      tables: 1,
    });
    const recs = records(out.lines());
    const logs = recs.filter((r) => typeof r.message === 'string');
    expect(logs.map((r) => r.message)).toEqual(['stage started', 'table extracted', 'stage succeeded']);
    for (const r of logs) {
      expect(r).toMatchObject({
        correlation_id: 'run-123',
        run_id: 'run-123',
        stage: 'extract',
        function_request_id: 'req-1',
      });
    }
    expect(logs[2]).toMatchObject({ level: 'INFO', duration_ms: 250, tables: 1 });

    const emf = recs.filter((r) => r._aws !== undefined);
    const rows = emf.find((r) => r.RowsExtracted !== undefined);
    expect(rows).toMatchObject({ RowsExtracted: 42, table: 'sales_order', stage: 'extract' });
    const dur = emf.find((r) => r.StageDuration !== undefined);
    expect(dur).toMatchObject({ StageDuration: 250, stage: 'extract' });
    expect(JSON.stringify(dur)).toContain('TributaryTest');
  });

  it('takes the run id from the result when the event has none (extract starts the run)', async () => {
    const handler = instrumentHandler('extract', async () => ({ runId: 'run-new' }), {
      logger: createLogger(),
      metrics: createMetrics({ stage: 'extract' }),
    });
    await handler({});
    const logs = records(out.lines()).filter((r) => r.message === 'stage succeeded');
    expect(logs[0]).toMatchObject({ correlation_id: 'run-new' });
  });

  it("does not carry one invocation's run id into the next (warm container)", async () => {
    const handler = instrumentHandler('load', async () => 'ok', {
      logger: createLogger(),
      metrics: createMetrics({ stage: 'load' }),
    });
    await handler({ runId: 'first' });
    await handler({});
    const second = records(out.lines()).filter((r) => r.message === 'stage started')[1];
    expect(second.correlation_id).toBeUndefined();
  });

  it('emits RunDuration for the stage that ends the run', async () => {
    const handler = instrumentHandler('load', async () => 'ok', {
      logger: createLogger(),
      metrics: createMetrics({ stage: 'load' }),
      endsRun: true,
      now: () => Date.parse('2024-11-15T10:01:30Z'),
    });
    await handler({ runId: 'r', runStartedAt: '2024-11-15T10:00:00Z' });
    const emf = records(out.lines()).find((r) => r.RunDuration !== undefined);
    expect(emf?.RunDuration).toBe(90);
  });

  it('logs a failure redacted, rethrows it redacted with the same name, and still flushes metrics', async () => {
    const creds = parsePostgresSecret(
      'src',
      JSON.stringify({ host: 'db', port: 5432, database: 'totesys', user: 'etl', password: PASSWORD }),
    );
    const url = postgresUrlFromSecret(creds);
    const handler = instrumentHandler(
      'load',
      async (_event: { runId: string }, tel) => {
        recordFreshnessLag(tel.metrics, 12);
        tel.logger.warn('connecting', { url, note: `pw is ${PASSWORD}` });
        const err = new Error(`connection to ${url} failed: password "${PASSWORD}" rejected`);
        err.name = 'WarehouseError';
        throw err;
      },
      { logger: createLogger(), metrics: createMetrics({ stage: 'load' }) },
    );
    const thrown = await handler({ runId: 'run-9' }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(thrown?.name).toBe('WarehouseError');
    expect(thrown?.message).toContain('postgres://etl:***@db:5432/totesys');
    expect(thrown?.message).not.toContain(PASSWORD);
    expect(thrown?.stack ?? '').not.toContain(PASSWORD);

    const text = out.lines().join('\n');
    expect(text).not.toContain(PASSWORD);
    const recs = records(out.lines());
    const failed = recs.find((r) => r.message === 'stage failed');
    expect(failed).toMatchObject({ level: 'ERROR', correlation_id: 'run-9', stage: 'load' });
    expect(String(failed?.error_message)).toContain('***');
    expect(recs.find((r) => r.FreshnessLagSeconds !== undefined)).toMatchObject({ FreshnessLagSeconds: 12 });
    expect(recs.find((r) => r.StageFailures !== undefined)).toMatchObject({ StageFailures: 1 });
  });
});
