import { statementLabel } from '../../bench/profile';
import { combineUnits } from '../../bench/units';
import {
  alignColumns,
  e2eRatio,
  evaluateTargets,
  figureRows,
  formatFigures,
  formatMarkdown,
  formatReport,
  evaluateUnitTargets,
  longestUnits,
  rate,
  type BenchResult,
  type ScenarioMeasure,
  type StepMeasure,
} from '../../bench/report';

function step(name: string, rows: number, ms: number, maxRssMb = 100): StepMeasure {
  return { step: name, rows, ms, cpuMs: ms / 2, maxRssMb, startRssMb: 70, statements: [] };
}

function scenario(rows: number, ms: [number, number, number], rss: [number, number, number] = [90, 150, 110]): ScenarioMeasure {
  return { extract: step('extract', rows, ms[0], rss[0]), transform: step('transform', rows, ms[1], rss[1]), load: step('load', rows, ms[2], rss[2]) };
}

function result(overrides: Partial<BenchResult> = {}): BenchResult {
  return {
    version: 1,
    date: '2026-01-01T00:00:00.000Z',
    command: 'npm run bench -- --rows 1000',
    salesOrders: 1000,
    sourceRows: 4000,
    warehouseRows: 4000,
    machine: { cpus: 2, memGiB: 24, node: '20.0.0', postgres: 'PostgreSQL 18.4', platform: 'linux x64', embedded: true },
    limits: { memoryMb: { extract: 1024, transform: 2048, load: 1024 }, tmpMb: 512, timeoutSeconds: 900 },
    seed: step('seed', 4000, 500),
    // COPY out 4000 rows in 1 s, COPY in 4000 rows in 1 s: the baseline takes 2 s.
    baseline: { copyOut: step('baseline-out', 4000, 1000, 80), copyIn: step('baseline-in', 4000, 1000, 100) },
    full: scenario(4000, [2000, 1000, 1000]),
    noChange: scenario(0, [50, 100, 50]),
    change: { ...scenario(100, [50, 100, 50]), changedRows: 100 },
    ...overrides,
  };
}

describe('bench figures', () => {
  it('computes rows per second and leaves empty runs without a rate', () => {
    expect(rate(4000, 2000)).toBe(2000);
    expect(rate(0, 100)).toBeNull();
    expect(rate(10, 0)).toBeNull();
  });

  it('compares each step with its physical twin', () => {
    const rows = new Map(figureRows(result()).map((r) => [r.label, r]));
    expect(rows.get('baseline: out + in')).toMatchObject({ ms: 2000, rowsPerSec: 2000, ratio: 1, maxRssMb: 100 });
    // extract 4000 rows in 2 s vs COPY out 4000 rows in 1 s
    expect(rows.get('full: extract')!.ratio).toBeCloseTo(0.5);
    // transform on source rows in 1 s vs the whole baseline in 2 s
    expect(rows.get('full: transform')!.ratio).toBeCloseTo(2);
    expect(rows.get('full: load')!.ratio).toBeCloseTo(1);
    expect(rows.get('full: end-to-end')).toMatchObject({ ms: 4000, rowsPerSec: 1000, maxRssMb: 150 });
    expect(rows.get('full: end-to-end')!.ratio).toBeCloseTo(0.5);
    expect(rows.get('full: end-to-end')!.rssRatio).toBeCloseTo(1.5);
    // incremental runs: full baseline time ÷ run time
    expect(rows.get('no-change: end-to-end')).toMatchObject({ rows: 0, ms: 200, rowsPerSec: null, ratio: 10 });
    expect(rows.get('no-change: extract')!.ratio).toBeCloseTo(20);
    expect(e2eRatio(result())).toBeCloseTo(0.5);
  });

  it('reports data tests on their own line, outside end-to-end', () => {
    const full = { ...scenario(4000, [2000, 1000, 1000]), dataTests: step('data-tests', 30, 500) };
    const rows = new Map(figureRows(result({ full })).map((r) => [r.label, r]));
    expect(rows.get('full: data tests (30 checks)')).toMatchObject({ rows: 0, ms: 500, rowsPerSec: null, ratio: 4 });
    expect(rows.get('full: end-to-end')!.ms).toBe(4000);
  });

  it('prints an aligned table with a dash where a figure means nothing', () => {
    const text = formatFigures(figureRows(result()));
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^step\s+rows\s+time s\s+rows\/s\s+× base/);
    expect(lines).toHaveLength(1 + 3 + 3 * 4);
    const noChange = lines.find((l) => l.startsWith('no-change: end-to-end'))!;
    expect(noChange).toContain('—');
    expect(noChange).toContain('10.00');
    expect(alignColumns([['a', 'bb', 'c'], ['ccc', 'd', 'e']])).toBe('a    bb  c\nccc   d  e');
  });
});

describe('bench targets', () => {
  it('judges the 1% change run against the full run of the same N', () => {
    const [, , , change] = evaluateTargets(result(), new Map());
    // 200 ms ÷ 4000 ms = 5%
    expect(change).toMatchObject({ status: 'PASS' });
    expect(change.figure).toMatch(/^5\.0%/);
    const slow = result({ change: { ...scenario(100, [100, 100, 100]), changedRows: 100 } });
    expect(evaluateTargets(slow, new Map())[3].status).toBe('MISS');
  });

  it('reads N/A for sizes not run, with the figure at this N', () => {
    const [e2e, rss, noChange] = evaluateTargets(result(), new Map());
    expect(e2e.status).toBe('N/A');
    expect(e2e.figure).toContain('0.50 × at N=1,000');
    expect(rss.status).toBe('N/A');
    expect(rss.figure).toContain('150 MB');
    expect(noChange.status).toBe('N/A');
    expect(noChange.figure).toContain('N=10,000 and N=10,000,000');
  });

  it('uses earlier results kept per N for the targets that need other sizes', () => {
    const million = result({ salesOrders: 1_000_000, full: scenario(4000, [3000, 1000, 1000]) });
    const small = result({ salesOrders: 10_000, noChange: scenario(0, [100, 100, 100]) });
    const huge = result({ salesOrders: 10_000_000, noChange: scenario(0, [200, 100, 100]), full: scenario(4000, [1, 1, 1], [120, 301, 200]) });
    const earlier = new Map([
      [1_000_000, million],
      [10_000, small],
      [10_000_000, huge],
    ]);
    const [e2e, rss, noChange] = evaluateTargets(result(), earlier);
    expect(e2e).toMatchObject({ status: 'MISS', figure: '0.40 × baseline' });
    expect(rss).toMatchObject({ status: 'MISS', figure: '301 MB' });
    expect(noChange.status).toBe('PASS');
    expect(noChange.figure).toMatch(/^1\.33 ×/);
  });

  it('prefers the current run over a stored one of the same N', () => {
    const current = result({ salesOrders: 1_000_000 });
    const stale = result({ salesOrders: 1_000_000, full: scenario(4000, [30000, 1000, 1000]) });
    expect(evaluateTargets(current, new Map([[1_000_000, stale]]))[0]).toMatchObject({ status: 'PASS', figure: '0.50 × baseline' });
  });

  it('renders Markdown tables with right-aligned figures', () => {
    const md = formatMarkdown(result(), new Map()).split('\n');
    expect(md[0]).toBe('| step | rows | time s | rows/s | × base | peak RSS MB | RSS × base | CPU s | compared with |');
    expect(md[1]).toBe('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
    expect(md).toContain('| full: end-to-end | 4,000 | 4.00 | 1,000 | 0.50 | 150 | 1.50 | 2.00 | out + in |');
    expect(md.some((l) => /^\| 1% change run ≤ 5% of the full load \| PASS \| 5\.0%/.test(l))).toBe(true);
    expect(md).toContain('| full: load | 1 | 1.00 | 4,000 | 110 | 1,024 | 0.0 | 512 | yes |');
  });

  it('prints the heading, figures and targets together', () => {
    const text = formatReport(result(), new Map());
    expect(text).toContain('N=1,000 sales orders: 4,000 source rows');
    expect(text).toMatch(/1% change run ≤ 5% of the full load\s+PASS/);
  });
});

describe('bench units of work', () => {
  const units = (ms: number[], tmp: number[], rss = 100) => ms.map((m, i) => ({ label: `unit ${i}`, rows: 10, ms: m, maxRssMb: rss, tmpPeakMb: tmp[i] }));

  it('takes the longest unit of a step, and its largest RSS and /tmp across units', () => {
    const full = scenario(4000, [2000, 1000, 1000]);
    full.load = { ...full.load, units: units([300, 900, 400], [10, 5, 600]) };
    const rows = longestUnits(result({ full }));
    const load = rows.find((r) => r.scenario === 'full' && r.step === 'load')!;
    expect(load).toMatchObject({ units: 3, maxTmpMb: 600, withinLimits: false });
    expect(load.longest.label).toBe('unit 1');
    // A step without units is one unit: itself.
    expect(rows.find((r) => r.scenario === 'full' && r.step === 'extract')).toMatchObject({ units: 1, withinLimits: true });
  });

  it('judges per-unit growth against the run at a tenth of N, and the limits at this N', () => {
    const at = (n: number, loadMs: number) => {
      const full = scenario(4000, [100, 100, 100]);
      full.load = { ...full.load, units: units([loadMs], [1]) };
      return result({ salesOrders: n, full });
    };
    const [, growth, limits] = evaluateUnitTargets(at(1_000_000, 250), new Map([[100_000, at(100_000, 100)]]));
    expect(growth).toMatchObject({ status: 'MISS', figure: '2.50 × (0.25 s vs 0.10 s)' });
    expect(limits.status).toBe('PASS');
    const [, ok] = evaluateUnitTargets(at(1_000_000, 150), new Map([[100_000, at(100_000, 100)]]));
    expect(ok.status).toBe('PASS');
    const [unit] = evaluateUnitTargets(at(10_000_000, 301_000), new Map());
    expect(unit).toMatchObject({ status: 'MISS', figure: '301.0 s' });
  });

  it('judges start-up and small data when they were measured', () => {
    const startup = { runs: 7, nodeMs: 50, helpMs: 210, helpFromSourceMs: 900, bundles: [] };
    const smallData = { dataset: 'x', sourceRows: 48_000, tributaryMs: 1000, seedStyleMs: 6000, runs: 3, sameResult: true };
    const targets = evaluateUnitTargets(result({ startup, smallData }), new Map());
    expect(targets.find((t) => t.name.startsWith('tributary --help'))).toMatchObject({ status: 'MISS', figure: '4.20 × (210 ms vs 50 ms)' });
    expect(targets.find((t) => t.name.startsWith("real extract's"))).toMatchObject({ status: 'PASS', figure: '6.00 × (1.00 s vs 6.00 s)' });
    const differ = evaluateUnitTargets(result({ smallData: { ...smallData, sameResult: false } }), new Map());
    expect(differ.find((t) => t.name.startsWith("real extract's"))!.status).toBe('MISS');
  });
});

describe('bench statement labels', () => {
  it('names the statement kind and the tables, not calls or keywords', () => {
    expect(statementLabel('pg', 'INSERT INTO fact_payment (a, b)\n SELECT a, b FROM stage_fact_payment ON CONFLICT (a) DO UPDATE SET b = 1')).toBe(
      'pg: INSERT INTO [fact_payment, stage_fact_payment]',
    );
    expect(statementLabel('duckdb', `CREATE TABLE src_payment AS SELECT * FROM read_csv(['x.csv.gz'])`)).toBe('duckdb: CREATE TABLE [src_payment]');
    expect(statementLabel('pg', 'COPY (SELECT "a" FROM "sales_order" WHERE TRUE) TO STDOUT WITH (FORMAT csv)')).toBe('pg: COPY (SELECT [sales_order]');
  });
});

describe('combineUnits: a step run as several invocations', () => {
  const unit = (rows: number, ms: number, rss: number, tmp: number, detail: Record<string, number>, label = 'x'): StepMeasure => ({
    ...step('transform', rows, ms, rss),
    tmpPeakMb: tmp,
    statements: [{ label, calls: 1, ms }],
    detail,
  });

  it('adds time and rows, keeps the largest unit peak, and every unit for the longest-unit table', () => {
    const all = combineUnits('transform', [
      { label: 'transform #1', measure: unit(700, 900, 140, 30, { more: 1, fact_sales_order: 700 }, 'a') },
      { label: 'transform #2', measure: unit(300, 400, 180, 10, { more: 0, fact_sales_order: 300, runs: 1 }, 'a') },
    ]);
    expect(all.rows).toBe(1000);
    expect(all.ms).toBe(1300);
    expect(all.maxRssMb).toBe(180);
    expect(all.tmpPeakMb).toBe(30);
    expect(all.units?.map((u) => [u.label, u.ms])).toEqual([['transform #1', 900], ['transform #2', 400]]);
    expect(all.detail).toEqual({ fact_sales_order: 1000, runs: 1, units: 2 });
    expect(all.statements).toEqual([{ label: 'a', calls: 2, ms: 1300 }]);
    const longest = longestUnits(result({ full: { ...scenario(1000, [10, 20, 30]), transform: all } })).find((u) => u.scenario === 'full' && u.step === 'transform');
    expect(longest?.longest.ms).toBe(900);
    expect(longest?.units).toBe(2);
  });

  it('refuses an empty step', () => {
    expect(() => combineUnits('load', [])).toThrow(/no unit ran/);
  });
});
