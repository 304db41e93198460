import { createHash } from 'node:crypto';
import type { TransformManifest } from '../../lake/manifest';
import type { StarModel, StarTable } from '../../model/star';
import type { LoadResult, TableLoad } from '../port';
import { LOAD_RUNS, q } from './ddl';
import { addReferencedDates, appendFacts, copyIntoStage, correctFacts, createStage, insertInferredMembers, literal, mergeDimension, stageTable } from './load';

/**
 * A unit's whole load as one Snowflake Scripting block: staging tables, COPY from the external
 * stage, the staged-count check, then one transaction (dimensions, inferred members, dates,
 * facts, the run record) and the counts returned as an OBJECT. The deployed load submits it once
 * (asyncExec) and the state machine polls; `loadRun` (the CLI) runs the same block and waits, so
 * there is one load to reason about, whoever calls it.
 *
 * The statements come from load.ts's builders. Binds do not reach into
 * `EXECUTE IMMEDIATE $$ … $$`, so values are literals; the staging tables are named per unit and
 * not TEMPORARY (a detached query outlives the submitting session), created OR REPLACE so a
 * resubmitted block starts clean, and dropped when the block ends, whichever way.
 *
 * Each top-level statement ends with `;` and a newline, and no statement builder ends a line with
 * `;`: the test endpoint (tests/support/snowflake-server.ts) splits the block there.
 */
export interface LoadBlock {
  sql: string;
  result: LoadResult;
  /** Index in the returned `counts` of each table's MERGE/INSERT, of the inferred-member inserts and of the dates insert. */
  applied: Array<{ table: string; at: number }>;
  inferredAt: number[];
  datesAt?: number;
}

/** The suffix of a unit's staging tables: short, stable for the unit, unlike any other unit's. */
export function unitSuffix(runId: string): string {
  return `_${createHash('sha256').update(runId).digest('hex').slice(0, 12)}`;
}

/** Thrown inside the block when a table's staged rows differ from the manifest's. */
export const STAGED_COUNT_ERROR = -20001;

export function loadBlock(model: StarModel, manifest: TransformManifest, stage: string): LoadBlock {
  const suffix = unitSuffix(manifest.runId);
  const present: StarTable[] = [...model.dimensions, ...model.facts].filter((t) => manifest.tables[t.name]);
  const declare: string[] = ['  n INTEGER DEFAULT 0;'];
  const body: string[] = [];
  const counted: string[] = [];
  const count = (sql: string): number => {
    const at = counted.length;
    const name = `c${at}`;
    counted.push(name);
    declare.push(`  ${name} INTEGER DEFAULT 0;`);
    body.push(`${sql};`, `${name} := SQLROWCOUNT;`);
    return at;
  };
  const drops = present.map((t) => `DROP TABLE IF EXISTS ${stageTable(t.name, suffix)};`);
  const loadedBefore = `RETURN OBJECT_CONSTRUCT('loaded', FALSE);`;

  // Recorded before (another load got there): nothing is staged or changed.
  body.push(`SELECT COUNT(*) INTO :n FROM ${q(LOAD_RUNS)} WHERE "RUN_ID" = ${literal(manifest.runId)};`, `IF (n > 0) THEN ${loadedBefore} END IF;`);
  present.forEach((table, i) => {
    const expected = manifest.tables[table.name].rows;
    // The message is a constant (Snowflake Scripting's EXCEPTION takes a literal), so it names what is known beforehand.
    declare.push(
      `  staged_${i} EXCEPTION (${STAGED_COUNT_ERROR}, ${literal(`snowflake: the rows staged of ${table.name} from @${stage} are not the ${expected} the manifest says; is the stage on the lake root?`)});`,
    );
    body.push(`${createStage(table, suffix).sql};`);
    for (const object of manifest.tables[table.name].objects) body.push(`${copyIntoStage(table, stage, object.key, suffix).sql};`);
    body.push(`SELECT COUNT(*) INTO :n FROM ${stageTable(table.name, suffix)};`, `IF (n <> ${expected}) THEN RAISE staged_${i}; END IF;`);
  });
  body.push('BEGIN TRANSACTION;');
  const applied: LoadBlock['applied'] = [];
  for (const dim of model.dimensions.filter((d) => manifest.tables[d.name])) applied.push({ table: dim.name, at: count(mergeDimension(dim, suffix).sql) });
  const facts = model.facts.filter((f) => manifest.tables[f.name]);
  const inferredAt = facts.flatMap((fact) => insertInferredMembers(model, fact, suffix).map((s) => count(s.sql)));
  const dates = addReferencedDates(model, facts, suffix);
  const datesAt = dates ? count(dates.sql) : undefined;
  for (const fact of facts) applied.push({ table: fact.name, at: count((manifest.purpose === 'reconcile' ? correctFacts(fact, suffix) : appendFacts(fact, suffix)).sql) });

  const tables: TableLoad[] = present.map((t) => ({ table: t.name, kind: t.kind, staged: manifest.tables[t.name].rows, applied: 0 }));
  const summary = JSON.stringify({ tables: tables.map((t) => ({ table: t.table, staged: t.staged })), quarantined: manifest.quarantined });
  body.push(
    `INSERT INTO ${q(LOAD_RUNS)} ("RUN_ID", "SOURCE", "MODEL", "SUMMARY")
SELECT ${literal(manifest.runId)}, ${literal(manifest.source)}, ${literal(manifest.model)}, PARSE_JSON(${literal(summary)}) WHERE NOT EXISTS (SELECT 1 FROM ${q(LOAD_RUNS)} WHERE "RUN_ID" = ${literal(manifest.runId)});`,
    // Another load recorded this unit while we staged: keep its changes, drop ours.
    `IF (SQLROWCOUNT = 0) THEN ROLLBACK; ${drops.join(' ')} ${loadedBefore} END IF;`,
    'COMMIT;',
    ...drops,
    `RETURN OBJECT_CONSTRUCT('loaded', TRUE, 'counts', ARRAY_CONSTRUCT(${counted.join(', ')}));`,
  );
  const sql = `EXECUTE IMMEDIATE $$
DECLARE
${declare.join('\n')}
BEGIN
${body.join('\n')}
EXCEPTION
  WHEN OTHER THEN
    ROLLBACK;
${drops.map((d) => `    ${d}`).join('\n')}
    RAISE;
END;
$$`;
  // `$$` inside would end the block early: no value may carry it (keys, names and ids never do).
  if (sql.slice('EXECUTE IMMEDIATE $$'.length, -2).includes('$$')) throw new Error(`snowflake: a value of run ${manifest.runId} holds "$$", which cannot go in a load block`);
  return { sql, result: { runId: manifest.runId, loaded: false, tables, inferred: 0, datesAdded: 0 }, applied, inferredAt, ...(datesAt !== undefined ? { datesAt } : {}) };
}

/** What the block changed, from the OBJECT it returned (`{loaded, counts}`, as a JSON string or parsed). */
export function blockOutcome(block: LoadBlock, returned: unknown): LoadResult {
  const value = (typeof returned === 'string' ? JSON.parse(returned) : returned) as { loaded?: unknown; counts?: unknown } | null;
  if (!value || typeof value.loaded !== 'boolean') throw new Error(`snowflake: the load block of ${block.result.runId} returned ${JSON.stringify(returned)?.slice(0, 200)}, not {loaded, counts}`);
  if (!value.loaded) return { ...block.result, tables: [] };
  const counts = Array.isArray(value.counts) ? value.counts.map(Number) : [];
  return {
    ...block.result,
    loaded: true,
    tables: block.result.tables.map((t) => ({ ...t, applied: counts[block.applied.find((a) => a.table === t.table)!.at] ?? 0 })),
    inferred: block.inferredAt.reduce((n, i) => n + (counts[i] ?? 0), 0),
    datesAdded: block.datesAt !== undefined ? (counts[block.datesAt] ?? 0) : 0,
  };
}
