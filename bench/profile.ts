import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { DuckDBConnection } from '@duckdb/node-api';
import { Client } from 'pg';
import { LocalObjectStore } from '../runtime/lake/local';
import type { StatementTiming } from './report';

/**
 * Where a step's time goes, without touching runtime/: the step runner wraps the library
 * entry points the runtime calls (pg `Client.query`, including COPY streams until they end;
 * DuckDB `run`; the local lake's put/download) and adds up their durations per statement kind.
 * Calls overlap (a COPY out runs while its lake put streams), so the sums are not additive.
 */
const timings = new Map<string, StatementTiming>();

function record(label: string, start: number): void {
  const ms = performance.now() - start;
  const t = timings.get(label) ?? { label, calls: 0, ms: 0 };
  t.calls += 1;
  t.ms += ms;
  timings.set(label, t);
}

/** A short, aggregatable name for a SQL statement: its first words and the tables it names. */
export function statementLabel(engine: string, sql: string): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  const verb = flat.split(' ').slice(0, 2).join(' ').replace(/[("]+$/, '').trim();
  const tables = new Set<string>();
  for (const m of flat.matchAll(/\b(?:FROM|INTO|TABLE|JOIN|UPDATE)\s+("?[A-Za-z_][\w.]*"?)/gi)) {
    const name = m[1].replace(/"/g, '');
    // `read_csv(…)` is a call; `INTO t (cols)` names a table.
    const isCall = flat.slice((m.index ?? 0) + m[0].length).startsWith('(');
    if (!isCall && !/^(STDIN|STDOUT|SELECT|IF|SET)$/i.test(name)) tables.add(name);
  }
  return `${engine}: ${verb}${tables.size ? ` [${[...tables].slice(0, 3).join(', ')}]` : ''}`;
}

function sqlOf(arg: unknown): string {
  if (typeof arg === 'string') return arg;
  if (arg && typeof arg === 'object' && 'text' in arg) return String((arg as { text: unknown }).text);
  return '?';
}

let installed = false;

export function installProfiler(): void {
  if (installed) return;
  installed = true;

  const pgProto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const pgQuery = pgProto.query;
  pgProto.query = function (this: unknown, ...args: unknown[]): unknown {
    const label = statementLabel('pg', sqlOf(args[0]));
    const start = performance.now();
    const result = pgQuery.apply(this, args);
    if (result instanceof Promise) {
      result.then(
        () => record(label, start),
        () => record(label, start),
      );
    } else if (args[0] instanceof EventEmitter) {
      // COPY streams (pg-copy-streams) are returned as the submittable itself.
      const stream = args[0];
      let done = false;
      const finish = () => {
        if (!done) record(label, start);
        done = true;
      };
      stream.once('end', finish);
      stream.once('finish', finish);
      stream.once('error', finish);
    }
    return result;
  };

  const duckProto = DuckDBConnection.prototype as unknown as { run: (sql: string, ...rest: unknown[]) => Promise<unknown> };
  const duckRun = duckProto.run;
  duckProto.run = async function (this: unknown, sql: string, ...rest: unknown[]): Promise<unknown> {
    const start = performance.now();
    try {
      return await duckRun.call(this, sql, ...rest);
    } finally {
      record(statementLabel('duckdb', sql), start);
    }
  };

  const lakeProto = LocalObjectStore.prototype as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const method of ['put', 'download', 'getText', 'list']) {
    const original = lakeProto[method];
    if (typeof original !== 'function') continue;
    lakeProto[method] = async function (this: unknown, ...args: unknown[]): Promise<unknown> {
      const start = performance.now();
      try {
        return await original.apply(this, args);
      } finally {
        record(`lake: ${method}`, start);
      }
    };
  }
}

/** Forgets the timings so far (a probe measuring several variants in one process). */
export function resetTimings(): void {
  timings.clear();
}

/** The slowest statement kinds so far, slowest first. */
export function topTimings(limit = 12): StatementTiming[] {
  return [...timings.values()]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, limit)
    .map((t) => ({ ...t, ms: Math.round(t.ms) }));
}
