/**
 * A step that ran as several invocations (backfill chunks, transform and load units), folded
 * into one StepMeasure: time, CPU and rows add up (the units ran one after another here; the
 * deployed Distributed Map would overlap chunks, so the sum is the pessimistic end-to-end), peak
 * RSS and /tmp are the largest single unit's, since each unit is its own process, as each Lambda
 * invocation is its own sandbox. The units themselves are kept for "longest unit of work".
 */
import type { StatementTiming, StepMeasure, UnitMeasure } from './report';

export interface UnitRun {
  label: string;
  measure: StepMeasure;
}

function mergeTimings(lists: readonly StatementTiming[][], limit = 12): StatementTiming[] {
  const byLabel = new Map<string, StatementTiming>();
  for (const list of lists) {
    for (const t of list) {
      const have = byLabel.get(t.label);
      byLabel.set(t.label, have ? { label: t.label, calls: have.calls + t.calls, ms: have.ms + t.ms } : { ...t });
    }
  }
  return [...byLabel.values()].sort((a, b) => b.ms - a.ms).slice(0, limit);
}

function sumDetails(details: ReadonlyArray<Record<string, number> | undefined>, skip: ReadonlySet<string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of details) for (const [k, v] of Object.entries(d ?? {})) if (!skip.has(k)) out[k] = (out[k] ?? 0) + v;
  return out;
}

export function combineUnits(step: StepMeasure['step'], runs: readonly UnitRun[]): StepMeasure {
  if (runs.length === 0) throw new Error(`step ${step}: no unit ran`);
  const units: UnitMeasure[] = runs.map(({ label, measure: m }) => ({ label, rows: m.rows, ms: m.ms, maxRssMb: m.maxRssMb, tmpPeakMb: m.tmpPeakMb ?? 0 }));
  const detail = sumDetails(runs.map((r) => r.measure.detail), new Set(['more']));
  return {
    step,
    rows: runs.reduce((a, r) => a + r.measure.rows, 0),
    ms: runs.reduce((a, r) => a + r.measure.ms, 0),
    cpuMs: runs.reduce((a, r) => a + r.measure.cpuMs, 0),
    maxRssMb: Math.max(...runs.map((r) => r.measure.maxRssMb)),
    startRssMb: Math.min(...runs.map((r) => r.measure.startRssMb)),
    tmpPeakMb: Math.max(...units.map((u) => u.tmpPeakMb)),
    units,
    statements: mergeTimings(runs.map((r) => r.measure.statements)),
    ...(Object.keys(detail).length ? { detail: { ...detail, units: runs.length } } : { detail: { units: runs.length } }),
  };
}
