import { parseSince } from '../../runtime/cli/logs';
import { formatSummary, summarizeRuns, type LogEvent } from '../../runtime/telemetry/runlog';

const G = '/aws/lambda/tributary-dev-';
function ev(group: string, ts: number, rec: Record<string, unknown> | string): LogEvent {
  return { logGroup: G + group, timestamp: ts, message: typeof rec === 'string' ? rec : JSON.stringify(rec) };
}

describe('summarizeRuns', () => {
  const events: LogEvent[] = [
    ev('extract', 1000, { level: 'INFO', message: 'stage started', stage: 'extract', correlation_id: 'r1' }),
    ev('extract', 1100, {
      level: 'INFO',
      message: 'table extracted',
      stage: 'extract',
      correlation_id: 'r1',
      table: 'staff',
      rows: 20,
    }),
    ev('extract', 1200, {
      level: 'INFO',
      message: 'table extracted',
      stage: 'extract',
      correlation_id: 'r1',
      table: 'sales_order',
      rows: 5,
    }),
    ev('extract', 1300, {
      level: 'INFO',
      message: 'stage succeeded',
      stage: 'extract',
      correlation_id: 'r1',
      duration_ms: 300,
    }),
    // Lambda's text format prefixes the JSON.
    ev(
      'transform',
      2000,
      `2024-11-15T10:00:02.000Z\tabc\tINFO\t${JSON.stringify({ level: 'INFO', message: 'stage started', stage: 'transform', correlation_id: 'r1' })}`,
    ),
    ev('transform', 2500, {
      level: 'ERROR',
      message: 'stage failed',
      stage: 'transform',
      correlation_id: 'r1',
      duration_ms: 500,
      error_message: 'schema drift in staff',
    }),
    ev('extract', 5000, { level: 'INFO', message: 'stage started', stage: 'extract', correlation_id: 'r2' }),
    ev('load', 6000, 'Task timed out after 30.00 seconds'),
    ev('load', 6001, 'REPORT RequestId: x Duration: 30000 ms'),
  ];

  it('groups by correlation id into steps with status, duration, rows and errors', () => {
    const s = summarizeRuns(events);
    expect(s.runs.map((r) => [r.runId, r.status])).toEqual([
      ['r1', 'failed'],
      ['r2', 'running'],
    ]);
    const [extract, transform] = s.runs[0].steps;
    expect(extract).toMatchObject({
      stage: 'extract',
      status: 'succeeded',
      durationMs: 300,
      rows: { staff: 20, sales_order: 5 },
    });
    expect(transform).toMatchObject({
      stage: 'transform',
      status: 'failed',
      errors: ['schema drift in staff'],
    });
    expect(s.unattributed).toEqual([
      { logGroup: `${G}load`, timestamp: 6000, message: 'Task timed out after 30.00 seconds' },
    ]);
    const text = formatSummary(s).join('\n');
    expect(text).toContain('run r1  1970-01-01T00:00:01.000Z  failed');
    expect(text).toMatch(/extract\s+succeeded\s+0\.3 s {2}rows 25 \(2 tables\)/);
    expect(text).toContain('    error: schema drift in staff');
    expect(text).toContain('Task timed out');
  });

  it('keeps one run when filtered, without unattributed lines', () => {
    const s = summarizeRuns(events, 'r2');
    expect(s.runs.map((r) => r.runId)).toEqual(['r2']);
    expect(s.unattributed).toEqual([]);
  });

  it('a retried step that then succeeds counts as succeeded', () => {
    const s = summarizeRuns([
      ev('load', 1, { level: 'INFO', message: 'stage started', stage: 'load', correlation_id: 'r' }),
      ev('load', 2, {
        level: 'ERROR',
        message: 'stage failed',
        stage: 'load',
        correlation_id: 'r',
        error_message: 'x',
      }),
      ev('load', 3, { level: 'INFO', message: 'stage started', stage: 'load', correlation_id: 'r' }),
      ev('load', 4, { level: 'INFO', message: 'stage succeeded', stage: 'load', correlation_id: 'r' }),
    ]);
    expect(s.runs[0].steps[0].status).toBe('succeeded');
  });
});

describe('run status', () => {
  it('a run whose stages all succeeded is succeeded even with notifier records (no lifecycle) in it', () => {
    const s = summarizeRuns([
      ev('extract', 1, { level: 'INFO', message: 'stage started', stage: 'extract', correlation_id: 'r' }),
      ev('extract', 2, { level: 'INFO', message: 'stage succeeded', stage: 'extract', correlation_id: 'r' }),
      ev('load', 3, { level: 'INFO', message: 'stage started', stage: 'load', correlation_id: 'r' }),
      ev('load', 4, { level: 'INFO', message: 'stage succeeded', stage: 'load', correlation_id: 'r' }),
      ev('notify', 5, { level: 'INFO', message: 'alert posted', stage: 'notify', correlation_id: 'r' }),
    ]);
    expect(s.runs[0].status).toBe('succeeded');
    expect(s.runs[0].steps.map((x) => [x.stage, x.status])).toEqual([
      ['extract', 'succeeded'],
      ['load', 'succeeded'],
      ['notify', 'logged'],
    ]);
  });
});

describe('parseSince', () => {
  it('reads durations and ISO timestamps, rejects the rest', () => {
    expect(parseSince('30m', 10_000_000)).toBe(10_000_000 - 1_800_000);
    expect(parseSince('2d', 200_000_000)).toBe(200_000_000 - 172_800_000);
    expect(parseSince('2024-11-15T10:00:00Z')).toBe(Date.parse('2024-11-15T10:00:00Z'));
    expect(parseSince('soon')).toBeUndefined();
    expect(parseSince('10')).toBeUndefined();
  });
});
