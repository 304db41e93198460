/**
 * The pure half of the benchmark: the result shape written to bench/results/*.json, the
 * figures derived from it (rows/s, ratios to the physical baseline), the targets of issue 8
 * and the text table. No I/O here, so it is unit-tested directly.
 */

/** Aggregated time of one kind of statement inside a step (pg query, DuckDB query, lake call). */
export interface StatementTiming {
  label: string;
  calls: number;
  ms: number;
}

/**
 * One unit of work as the deployed pipeline runs it: one function invocation (a backfill chunk,
 * a transform or load unit). Lambda bounds each: 900 s, its memory, its /tmp.
 */
export interface UnitMeasure {
  label: string;
  rows: number;
  ms: number;
  maxRssMb: number;
  /** Peak bytes in the unit's own scratch folder (its /tmp), MB. */
  tmpPeakMb: number;
}

/** One step, measured inside its own child process. */
export interface StepMeasure {
  step: string;
  /** Rows the step moved (see BenchResult for which rows each step counts). */
  rows: number;
  /** Wall time of the step's work, child start-up excluded. */
  ms: number;
  /** User + system CPU of the child during the step (all its threads: DuckDB, zlib, libuv). */
  cpuMs: number;
  /** Peak resident set of the child process (process.resourceUsage().maxRSS). */
  maxRssMb: number;
  /** Resident set once modules were loaded, before the step ran. */
  startRssMb: number;
  /** Peak size of the step's scratch folder (DuckDB spill, staged files), MB. */
  tmpPeakMb?: number;
  /** The step's units of work when it ran as several; absent, the step was one unit. */
  units?: UnitMeasure[];
  /** Where the time went: the slowest statements / lake calls, aggregated. */
  statements: StatementTiming[];
  detail?: Record<string, number>;
}

export interface ScenarioMeasure {
  extract: StepMeasure;
  transform: StepMeasure;
  load: StepMeasure;
  /**
   * The data tests `tributary run` runs after every load (whole-warehouse checks). Reported on
   * their own line, outside end-to-end, which is extract + transform + load as issue 8 defines it.
   */
  dataTests?: StepMeasure;
}

/** Start-up before any row moves (bench/startup.ts). */
export interface StartupFigures {
  runs: number;
  nodeMs: number;
  helpMs: number;
  helpFromSourceMs: number;
  bundles: Array<{ name: string; initMs: number | null; bytes: number; zippedBytes: number; error?: string }>;
}

/** The real extract's first load as whole processes, Tributary vs the seed-style pipeline (bench/small-data.ts). */
export interface SmallDataFigures {
  dataset: string;
  sourceRows: number;
  /** `tributary run` as a process, start to exit (start-up included), median of `runs`. */
  tributaryMs: number;
  /** `python3 seed_style.py` as a process, start to exit, median of `runs`; null when it could not run. */
  seedStyleMs: number | null;
  runs: number;
  /** Why the seed-style pipeline did not run (python3-pandas missing, …). */
  seedStyleError?: string;
  /** Both warehouses hold the same fact and dimension rows (counted per table). */
  sameResult: boolean | null;
}

/** What the stack gives each function (runtime/contract/function-limits.ts), as the bench judged units against. */
export interface FunctionLimits {
  memoryMb: Record<'extract' | 'transform' | 'load', number>;
  tmpMb: number;
  timeoutSeconds: number;
}

export interface BenchResult {
  version: 1;
  date: string;
  command: string;
  /** N: generated sales orders. */
  salesOrders: number;
  /** Rows in the 11 source tables (what extract and COPY out read). */
  sourceRows: number;
  /** Rows of the warehouse-shaped tables the baseline COPY in loads (facts, dim_transaction, dim_design). */
  warehouseRows: number;
  machine: { cpus: number; memGiB: number; node: string; postgres: string; platform: string; embedded: boolean };
  settings?: { duckdbMemory: string };
  /** Commit measured; `+dirty` when runtime/ had uncommitted changes. */
  commit?: string;
  seed: StepMeasure;
  startup?: StartupFigures;
  smallData?: SmallDataFigures;
  limits?: FunctionLimits;
  baseline: { copyOut: StepMeasure; copyIn: StepMeasure };
  full: ScenarioMeasure;
  noChange: ScenarioMeasure;
  change: ScenarioMeasure & { changedRows: number };
}

export type Scenario = 'full' | 'noChange' | 'change';

export interface FigureRow {
  label: string;
  rows: number;
  ms: number;
  /** Rows per second, or null where it means nothing (a run that moved no rows). */
  rowsPerSec: number | null;
  /** Ratio to the baseline (>1 is faster than the baseline); see `vs` for what it is compared with. */
  ratio: number | null;
  vs: string;
  maxRssMb: number | null;
  /** Peak RSS ÷ the larger of the two baseline children's peak RSS. */
  rssRatio: number | null;
  cpuMs: number | null;
}

export type TargetStatus = 'PASS' | 'MISS' | 'N/A';

export interface TargetResult {
  name: string;
  status: TargetStatus;
  /** The figure the target is judged on, as text (or why it could not be judged). */
  figure: string;
}

export const TARGET_E2E_ROWS = 1_000_000;
export const TARGET_RSS_ROWS = 10_000_000;
export const TARGET_NOCHANGE_SMALL = 10_000;
export const TARGET_NOCHANGE_LARGE = 10_000_000;

export function rate(rows: number, ms: number): number | null {
  if (rows <= 0 || ms <= 0) return null;
  return (rows * 1000) / ms;
}

export function scenarioMs(s: ScenarioMeasure): number {
  return s.extract.ms + s.transform.ms + s.load.ms;
}

export function scenarioRssMb(s: ScenarioMeasure): number {
  return Math.max(s.extract.maxRssMb, s.transform.maxRssMb, s.load.maxRssMb);
}

export function scenarioCpuMs(s: ScenarioMeasure): number {
  return s.extract.cpuMs + s.transform.cpuMs + s.load.cpuMs;
}

export function baselineMs(r: BenchResult): number {
  return r.baseline.copyOut.ms + r.baseline.copyIn.ms;
}

export function baselineRssMb(r: BenchResult): number {
  return Math.max(r.baseline.copyOut.maxRssMb, r.baseline.copyIn.maxRssMb);
}

/** End-to-end throughput of the full run ÷ the baseline's (COPY out + COPY in of the same rows). */
export function e2eRatio(r: BenchResult): number {
  return baselineMs(r) / scenarioMs(r.full);
}

/** Peak RSS of any Tributary step of any scenario. */
export function peakStepRssMb(r: BenchResult): number {
  return Math.max(scenarioRssMb(r.full), scenarioRssMb(r.noChange), scenarioRssMb(r.change));
}

function ratioOf(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : a / b;
}

/** The figures of one result, in table order. */
export function figureRows(r: BenchResult): FigureRow[] {
  const baseRss = baselineRssMb(r);
  const outRate = rate(r.baseline.copyOut.rows, r.baseline.copyOut.ms);
  const inRate = rate(r.baseline.copyIn.rows, r.baseline.copyIn.ms);
  const bMs = baselineMs(r);
  const baseE2eRate = rate(r.sourceRows, bMs);
  const step = (label: string, m: StepMeasure, ratio: number | null, vs: string, rowsPerSec = rate(m.rows, m.ms)): FigureRow => ({
    label,
    rows: m.rows,
    ms: m.ms,
    rowsPerSec,
    ratio,
    vs,
    maxRssMb: m.maxRssMb,
    rssRatio: ratioOf(m.maxRssMb, baseRss),
    cpuMs: m.cpuMs,
  });
  const rows: FigureRow[] = [
    step('baseline: COPY out, 11 tables', r.baseline.copyOut, 1, 'itself'),
    step('baseline: COPY in, unindexed', r.baseline.copyIn, 1, 'itself'),
    {
      label: 'baseline: out + in',
      rows: r.sourceRows,
      ms: bMs,
      rowsPerSec: baseE2eRate,
      ratio: 1,
      vs: 'itself',
      maxRssMb: baseRss,
      rssRatio: 1,
      cpuMs: r.baseline.copyOut.cpuMs + r.baseline.copyIn.cpuMs,
    },
  ];
  const scenarios: Array<[Scenario, string]> = [
    ['full', 'full'],
    ['noChange', 'no-change'],
    ['change', '1% change'],
  ];
  for (const [key, name] of scenarios) {
    const s = r[key];
    if (key === 'full') {
      rows.push(step(`${name}: extract`, s.extract, ratioOf(rate(s.extract.rows, s.extract.ms), outRate), 'COPY out'));
      // Transform has no physical twin: it is judged against the whole baseline, on source rows.
      const tRate = rate(r.sourceRows, s.transform.ms);
      rows.push(step(`${name}: transform`, s.transform, ratioOf(tRate, baseE2eRate), 'out + in', tRate));
      rows.push(step(`${name}: load`, s.load, ratioOf(rate(s.load.rows, s.load.ms), inRate), 'COPY in'));
    } else {
      // Incremental runs: how many times faster than copying everything again.
      for (const part of ['extract', 'transform', 'load'] as const) {
        const baseMsOf = part === 'extract' ? r.baseline.copyOut.ms : part === 'load' ? r.baseline.copyIn.ms : bMs;
        const vs = part === 'extract' ? 'full COPY out time' : part === 'load' ? 'full COPY in time' : 'full out + in time';
        rows.push(step(`${name}: ${part}`, s[part], ratioOf(baseMsOf, s[part].ms), vs));
      }
    }
    if (s.dataTests) {
      const dt = s.dataTests;
      rows.push({ ...step(`${name}: data tests (${dt.rows} checks)`, dt, ratioOf(bMs, dt.ms), 'full out + in time', null), rows: 0 });
    }
    const ms = scenarioMs(s);
    const e2eRows = s.extract.rows;
    rows.push({
      label: `${name}: end-to-end`,
      rows: e2eRows,
      ms,
      rowsPerSec: rate(e2eRows, ms),
      ratio: ratioOf(bMs, ms),
      vs: key === 'full' ? 'out + in' : 'full out + in time',
      maxRssMb: scenarioRssMb(s),
      rssRatio: ratioOf(scenarioRssMb(s), baseRss),
      cpuMs: scenarioCpuMs(s),
    });
  }
  return rows;
}

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function fmtNum(n: number | null, digits: number): string {
  return n === null ? '—' : n.toFixed(digits);
}

function fmtSec(ms: number): string {
  return (ms / 1000).toFixed(ms < 10_000 ? 2 : 1);
}

/** Pads cells into aligned columns; the first column left-aligned, the others right-aligned. */
export function alignColumns(table: string[][]): string {
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  return table
    .map((row) => row.map((cell, c) => (c === 0 || c === row.length - 1 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd())
    .join('\n');
}

/** A table as a header and rows of cells, and which columns are figures (right-aligned). */
interface Cells {
  header: string[];
  body: string[][];
  right: boolean[];
}

const FIGURE_HEADER = ['step', 'rows', 'time s', 'rows/s', '× base', 'peak RSS MB', 'RSS × base', 'CPU s', 'compared with'];

function figureCells(rows: FigureRow[]): Cells {
  const body = rows.map((r) => [
    r.label,
    fmtInt(r.rows),
    fmtSec(r.ms),
    r.rowsPerSec === null ? '—' : fmtInt(r.rowsPerSec),
    fmtNum(r.ratio, 2),
    r.maxRssMb === null ? '—' : fmtInt(r.maxRssMb),
    fmtNum(r.rssRatio, 2),
    r.cpuMs === null ? '—' : fmtSec(r.cpuMs),
    r.vs,
  ]);
  return { header: FIGURE_HEADER, body, right: FIGURE_HEADER.map((_, i) => i > 0 && i < FIGURE_HEADER.length - 1) };
}

export function formatFigures(rows: FigureRow[]): string {
  const { header, body } = figureCells(rows);
  return alignColumns([header, ...body]);
}

/**
 * The targets of issue 8, judged on the results at hand: `results` holds the current run and
 * any earlier run kept under bench/results/ (keyed by N), since two targets compare sizes.
 */
export function evaluateTargets(current: BenchResult, results: ReadonlyMap<number, BenchResult>): TargetResult[] {
  const at = (n: number) => (current.salesOrders === n ? current : results.get(n));
  const out: TargetResult[] = [];

  const big = at(TARGET_E2E_ROWS);
  const e2eName = `end-to-end ≥ 0.5 × baseline at N=${fmtInt(TARGET_E2E_ROWS)}`;
  if (big) {
    const ratio = e2eRatio(big);
    out.push({ name: e2eName, status: ratio >= 0.5 ? 'PASS' : 'MISS', figure: `${ratio.toFixed(2)} × baseline` });
  } else {
    out.push({ name: e2eName, status: 'N/A', figure: `not run at that N; here ${e2eRatio(current).toFixed(2)} × at N=${fmtInt(current.salesOrders)}` });
  }

  const huge = at(TARGET_RSS_ROWS);
  const rssName = `peak RSS of any step ≤ 300 MB at N=${fmtInt(TARGET_RSS_ROWS)}`;
  if (huge) {
    const mb = peakStepRssMb(huge);
    out.push({ name: rssName, status: mb <= 300 ? 'PASS' : 'MISS', figure: `${fmtInt(mb)} MB` });
  } else {
    out.push({ name: rssName, status: 'N/A', figure: `not run at that N; here ${fmtInt(peakStepRssMb(current))} MB at N=${fmtInt(current.salesOrders)}` });
  }

  const small = at(TARGET_NOCHANGE_SMALL);
  const large = at(TARGET_NOCHANGE_LARGE);
  const ncName = `no-change run at N=${fmtInt(TARGET_NOCHANGE_LARGE)} ≤ 1.5 × at N=${fmtInt(TARGET_NOCHANGE_SMALL)}`;
  if (small && large) {
    const ratio = scenarioMs(large.noChange) / scenarioMs(small.noChange);
    out.push({
      name: ncName,
      status: ratio <= 1.5 ? 'PASS' : 'MISS',
      figure: `${ratio.toFixed(2)} × (${fmtSec(scenarioMs(large.noChange))} s vs ${fmtSec(scenarioMs(small.noChange))} s)`,
    });
  } else {
    const missing = [small ? undefined : TARGET_NOCHANGE_SMALL, large ? undefined : TARGET_NOCHANGE_LARGE].filter((n) => n !== undefined);
    out.push({
      name: ncName,
      status: 'N/A',
      figure: `needs a run at N=${missing.map((n) => fmtInt(n!)).join(' and N=')}; here ${fmtSec(scenarioMs(current.noChange))} s at N=${fmtInt(current.salesOrders)}`,
    });
  }

  const share = scenarioMs(current.change) / scenarioMs(current.full);
  out.push({
    name: '1% change run ≤ 5% of the full load',
    status: share <= 0.05 ? 'PASS' : 'MISS',
    figure: `${(share * 100).toFixed(1)}% (${fmtSec(scenarioMs(current.change))} s vs ${fmtSec(scenarioMs(current.full))} s) at N=${fmtInt(current.salesOrders)}`,
  });
  return out;
}

export function formatTargets(targets: TargetResult[]): string {
  return alignColumns([['target', 'status', 'figure'], ...targets.map((t) => [t.name, t.status, t.figure])]);
}

export function formatProfile(r: BenchResult, top = 6): string {
  const lines: string[] = [];
  const steps: Array<[string, StepMeasure]> = [
    ['full extract', r.full.extract],
    ['full transform', r.full.transform],
    ['full load', r.full.load],
    ['no-change extract', r.noChange.extract],
    ['1% change load', r.change.load],
  ];
  for (const [name, m] of steps) {
    lines.push(`${name} (${fmtSec(m.ms)} s wall, ${fmtSec(m.cpuMs)} s CPU):`);
    for (const s of m.statements.slice(0, top)) lines.push(`  ${fmtSec(s.ms).padStart(7)} s  ${String(s.calls).padStart(3)}×  ${s.label}`);
  }
  return lines.join('\n');
}

export const TARGET_UNIT_ROWS = 10_000_000;
export const TARGET_UNIT_SECONDS = 300;
export const TARGET_HELP_RATIO = 4;
export const TARGET_SMALL_DATA_RATIO = 5;

const UNIT_STEPS = ['extract', 'transform', 'load'] as const;
type UnitStep = (typeof UNIT_STEPS)[number];

/** A step's units of work: the ones it reported, or the step itself as one unit. */
export function unitsOf(m: StepMeasure): UnitMeasure[] {
  return m.units?.length ? m.units : [{ label: m.step, rows: m.rows, ms: m.ms, maxRssMb: m.maxRssMb, tmpPeakMb: m.tmpPeakMb ?? 0 }];
}

export interface LongestUnitRow {
  scenario: string;
  step: UnitStep;
  units: number;
  longest: UnitMeasure;
  /** Largest peak RSS and /tmp of any unit of the step (not necessarily the longest one). */
  maxRssMb: number;
  maxTmpMb: number;
  memoryLimitMb: number | null;
  tmpLimitMb: number | null;
  withinLimits: boolean | null;
}

export function longestUnits(r: BenchResult): LongestUnitRow[] {
  const rows: LongestUnitRow[] = [];
  for (const [key, name] of [['full', 'full'], ['change', '1% change']] as const) {
    for (const step of UNIT_STEPS) {
      const units = unitsOf(r[key][step]);
      const longest = units.reduce((a, b) => (b.ms > a.ms ? b : a));
      const maxRssMb = Math.max(...units.map((u) => u.maxRssMb));
      const maxTmpMb = Math.max(...units.map((u) => u.tmpPeakMb));
      const memoryLimitMb = r.limits ? r.limits.memoryMb[step] : null;
      const tmpLimitMb = r.limits ? r.limits.tmpMb : null;
      const withinLimits = r.limits ? maxRssMb <= memoryLimitMb! && maxTmpMb <= tmpLimitMb! && longest.ms <= r.limits.timeoutSeconds * 1000 : null;
      rows.push({ scenario: name, step, units: units.length, longest, maxRssMb, maxTmpMb, memoryLimitMb, tmpLimitMb, withinLimits });
    }
  }
  return rows;
}

/** The longest unit of any step of the full run, ms. */
export function longestUnitMs(r: BenchResult): number {
  return Math.max(...longestUnits(r).filter((u) => u.scenario === 'full').map((u) => u.longest.ms));
}

const UNIT_HEADER = ['unit of work', 'units', 'longest s', 'its rows', 'peak RSS MB', 'memory MB', 'peak /tmp MB', '/tmp MB', 'within'];

function unitCells(r: BenchResult): Cells {
  const body = longestUnits(r).map((u) => [
    `${u.scenario}: ${u.step}`,
    fmtInt(u.units),
    fmtSec(u.longest.ms),
    fmtInt(u.longest.rows),
    fmtInt(u.maxRssMb),
    u.memoryLimitMb === null ? '—' : fmtInt(u.memoryLimitMb),
    u.maxTmpMb.toFixed(1),
    u.tmpLimitMb === null ? '—' : fmtInt(u.tmpLimitMb),
    u.withinLimits === null ? '—' : u.withinLimits ? 'yes' : 'NO',
  ]);
  return { header: UNIT_HEADER, body, right: UNIT_HEADER.map((_, i) => i > 0 && i < UNIT_HEADER.length - 1) };
}

export function formatUnits(r: BenchResult): string {
  const { header, body } = unitCells(r);
  return alignColumns([header, ...body]);
}

export function formatStartup(s: StartupFigures): string {
  const lines = [
    `start-up (median of ${s.runs}): node -e 0 ${fmtMs(s.nodeMs)}; tributary --help ${fmtMs(s.helpMs)} = ${(s.helpMs / s.nodeMs).toFixed(2)} × node -e 0 (through tsx: ${fmtMs(s.helpFromSourceMs)} = ${(s.helpFromSourceMs / s.nodeMs).toFixed(2)} ×)`,
    alignColumns([
      ['Lambda bundle', 'init ms', 'bundle KB', 'zipped KB', 'note'],
      ...s.bundles.map((b) => [b.name, b.initMs === null || Number.isNaN(b.initMs) ? '—' : fmtInt(b.initMs), fmtInt(b.bytes / 1024), fmtInt(b.zippedBytes / 1024), b.error ?? '']),
    ]),
  ];
  return lines.join('\n');
}

export function formatSmallData(d: SmallDataFigures): string {
  const ratio = d.seedStyleMs === null ? null : d.seedStyleMs / d.tributaryMs;
  return [
    `small data: ${d.dataset} (${fmtInt(d.sourceRows)} source rows), first load as a whole process, median of ${d.runs}:`,
    `  tributary run ${fmtSec(d.tributaryMs)} s; seed-style pipeline ${d.seedStyleMs === null ? `not run (${d.seedStyleError ?? 'unknown'})` : `${fmtSec(d.seedStyleMs)} s`}` +
      (ratio === null ? '' : ` → ${ratio.toFixed(2)} × faster`) +
      (d.sameResult === null ? '' : d.sameResult ? '; same warehouse row counts' : '; WAREHOUSE ROW COUNTS DIFFER'),
  ].join('\n');
}

function fmtMs(ms: number): string {
  return `${Math.round(ms)} ms`;
}

/** Issue 16's targets: units bounded in time, memory and /tmp; start-up; small data. */
export function evaluateUnitTargets(current: BenchResult, results: ReadonlyMap<number, BenchResult>): TargetResult[] {
  const at = (n: number) => (current.salesOrders === n ? current : results.get(n));
  const out: TargetResult[] = [];
  const big = at(TARGET_UNIT_ROWS);
  const unitName = `longest unit of work at N=${fmtInt(TARGET_UNIT_ROWS)} ≤ ${TARGET_UNIT_SECONDS} s`;
  out.push(
    big
      ? { name: unitName, status: longestUnitMs(big) <= TARGET_UNIT_SECONDS * 1000 ? 'PASS' : 'MISS', figure: `${fmtSec(longestUnitMs(big))} s` }
      : { name: unitName, status: 'N/A', figure: `not run at that N; here ${fmtSec(longestUnitMs(current))} s at N=${fmtInt(current.salesOrders)}` },
  );
  const tenth = current.salesOrders % 10 === 0 ? results.get(current.salesOrders / 10) : undefined;
  const growthName = `longest unit at N=${fmtInt(current.salesOrders)} ≤ 2 × at N=${fmtInt(current.salesOrders / 10)}`;
  if (tenth) {
    const ratio = longestUnitMs(current) / longestUnitMs(tenth);
    out.push({ name: growthName, status: ratio <= 2 ? 'PASS' : 'MISS', figure: `${ratio.toFixed(2)} × (${fmtSec(longestUnitMs(current))} s vs ${fmtSec(longestUnitMs(tenth))} s)` });
  } else {
    out.push({ name: growthName, status: 'N/A', figure: `needs a run at N=${fmtInt(current.salesOrders / 10)}` });
  }
  const limitsName = `every unit within its function's memory, /tmp and timeout at N=${fmtInt(current.salesOrders)}`;
  const units = longestUnits(current);
  if (!current.limits) out.push({ name: limitsName, status: 'N/A', figure: 'no limits recorded' });
  else {
    const over = units.filter((u) => u.withinLimits === false);
    out.push({
      name: limitsName,
      status: over.length ? 'MISS' : 'PASS',
      figure: over.length
        ? over.map((u) => `${u.scenario} ${u.step}: ${fmtInt(u.maxRssMb)}/${fmtInt(u.memoryLimitMb!)} MB, /tmp ${u.maxTmpMb.toFixed(0)}/${fmtInt(u.tmpLimitMb!)} MB`).join('; ')
        : `max RSS ${fmtInt(Math.max(...units.map((u) => u.maxRssMb)))} MB, max /tmp ${Math.max(...units.map((u) => u.maxTmpMb)).toFixed(0)} MB`,
    });
  }
  const huge = at(TARGET_RSS_ROWS);
  const e2eName = `end-to-end ≥ 0.5 × baseline at N=${fmtInt(TARGET_RSS_ROWS)}`;
  out.push(
    huge
      ? { name: e2eName, status: e2eRatio(huge) >= 0.5 ? 'PASS' : 'MISS', figure: `${e2eRatio(huge).toFixed(2)} × baseline` }
      : { name: e2eName, status: 'N/A', figure: 'not run at that N' },
  );
  if (current.startup) {
    const ratio = current.startup.helpMs / current.startup.nodeMs;
    out.push({ name: `tributary --help ≤ ${TARGET_HELP_RATIO} × node -e 0`, status: ratio <= TARGET_HELP_RATIO ? 'PASS' : 'MISS', figure: `${ratio.toFixed(2)} × (${fmtMs(current.startup.helpMs)} vs ${fmtMs(current.startup.nodeMs)})` });
  }
  if (current.smallData) {
    const d = current.smallData;
    const name = `real extract's first load ≥ ${TARGET_SMALL_DATA_RATIO} × faster than seed-style (whole process)`;
    if (d.seedStyleMs === null) out.push({ name, status: 'N/A', figure: `seed-style not run: ${d.seedStyleError ?? 'unknown'}` });
    else {
      const ratio = d.seedStyleMs / d.tributaryMs;
      out.push({ name, status: ratio >= TARGET_SMALL_DATA_RATIO && d.sameResult !== false ? 'PASS' : 'MISS', figure: `${ratio.toFixed(2)} × (${fmtSec(d.tributaryMs)} s vs ${fmtSec(d.seedStyleMs)} s)` });
    }
  }
  return out;
}

/** The whole printed report: heading, figures, targets. */
export function formatReport(r: BenchResult, results: ReadonlyMap<number, BenchResult>): string {
  const m = r.machine;
  return [
    `Tributary bench — N=${fmtInt(r.salesOrders)} sales orders: ${fmtInt(r.sourceRows)} source rows, ${fmtInt(r.warehouseRows)} warehouse-shaped rows`,
    `${r.date} · ${m.cpus} cores · ${m.memGiB} GiB · Node ${m.node} · ${m.postgres}${m.embedded ? ' (embedded)' : ''} · seed ${fmtSec(r.seed.ms)} s` +
      (r.settings ? ` · DuckDB memory ${r.settings.duckdbMemory}` : '') +
      (r.commit ? ` · commit ${r.commit}` : ''),
    '',
    formatFigures(figureRows(r)),
    '',
    '× base: throughput ÷ the baseline\'s (>1 is faster); incremental runs: the full baseline time ÷ the run\'s time.',
    'Times are inside each step\'s child process (start-up excluded); RSS is the child\'s peak.',
    'Data tests: the whole-warehouse checks `tributary run` adds after each load; not part of end-to-end.',
    '',
    'Longest unit of work (one function invocation as deployed) beside what the stack gives that function:',
    formatUnits(r),
    ...(r.startup ? ['', formatStartup(r.startup)] : []),
    ...(r.smallData ? ['', formatSmallData(r.smallData)] : []),
    '',
    formatTargets([...evaluateTargets(r, results), ...evaluateUnitTargets(r, results)]),
  ].join('\n');
}

/** The figures and targets as Markdown tables (docs/benchmarks.md, README). */
export function formatMarkdown(r: BenchResult, results: ReadonlyMap<number, BenchResult>): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const table = ({ header, body, right }: Cells) =>
    [
      `| ${header.map(cell).join(' | ')} |`,
      `| ${right.map((r) => (r ? '---:' : '---')).join(' | ')} |`,
      ...body.map((row) => `| ${row.map(cell).join(' | ')} |`),
    ].join('\n');
  const targets = [...evaluateTargets(r, results), ...evaluateUnitTargets(r, results)].map((t) => [t.name, t.status, t.figure]);
  return [
    table(figureCells(figureRows(r))),
    '',
    table(unitCells(r)),
    '',
    table({ header: ['target', 'status', 'figure'], body: targets, right: [false, false, false] }),
  ].join('\n');
}
