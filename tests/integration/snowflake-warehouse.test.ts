import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { LocalObjectStore } from '../../runtime/lake/local';
import { writeManifest, type TransformManifest } from '../../runtime/lake/manifest';
import { TOTESYS_STAR } from '../../runtime/model/totesys/star';
import { loadNextUnit, loadPendingRuns } from '../../runtime/pipeline/load-step';
import { loadBlock, unitSuffix } from '../../runtime/warehouse/snowflake/block';
import { openSnowflakeSession } from '../../runtime/warehouse/snowflake/client';
import { clearRegisteredSecrets, redact } from '../../runtime/telemetry/redact';
import { getSnowflakeSecret, parseSnowflakeSecret, parseSnowflakeUrl, type SnowflakeConfig } from '../../runtime/warehouse/snowflake/config';
import { schemaStatements } from '../../runtime/warehouse/snowflake/ddl';
import { copyIntoStage, lastLoadedRun, runLoaded } from '../../runtime/warehouse/snowflake/load';
import { SnowflakeWarehouse } from '../../runtime/warehouse/snowflake/warehouse';
import { FakeSnowflake, WarehouseSim } from '../support/snowflake-server';
import { motoUrl, uniqueName, useMotoCredentials } from '../support/services';

const PASSWORD = 'sf-Pa55word-7d1e9c';
const RUN = '20241115T120000000Z-abc123';
/** The unit's staging tables' suffix as the statements name it. */
const S = unitSuffix(RUN).toUpperCase();

/** A payment batch: the manifest's row counts, and the statements its block runs, in order, whichever path runs it. */
const PAYMENT_BATCH = { dim_staff: 2, dim_transaction: 3, fact_payment: 4 };
const PAYMENT_BLOCK = [
  'SELECT COUNT(*) AS "N"',
  ...['DIM_STAFF', 'DIM_TRANSACTION', 'FACT_PAYMENT'].flatMap((t) => [`CREATE OR REPLACE TABLE "STAGE_${t}${S}"`, `COPY INTO "STAGE_${t}${S}"`]),
  'BEGIN',
  'MERGE INTO "DIM_STAFF" t',
  'MERGE INTO "DIM_TRANSACTION" t',
  'INSERT INTO "DIM_TRANSACTION"',
  'INSERT INTO "DIM_COUNTERPARTY"',
  'INSERT INTO "DIM_CURRENCY"',
  'INSERT INTO "DIM_PAYMENT_TYPE"',
  'INSERT INTO "DIM_DATE"',
  'INSERT INTO "FACT_PAYMENT"',
  'INSERT INTO "TRIBUTARY_LOAD_RUNS"',
  'COMMIT',
  ...['DIM_STAFF', 'DIM_TRANSACTION', 'FACT_PAYMENT'].map((t) => `DROP TABLE IF EXISTS "STAGE_${t}${S}"`),
];
/** The model tables the batch's block changes, one per MERGE or INSERT. */
const PAYMENT_APPLIED = ['DIM_STAFF', 'DIM_TRANSACTION', 'DIM_TRANSACTION', 'DIM_COUNTERPARTY', 'DIM_CURRENCY', 'DIM_PAYMENT_TYPE', 'DIM_DATE', 'FACT_PAYMENT'];
/** What the batch's load reports (WarehouseSim: one row inserted per statement, one more updated per MERGE). */
const PAYMENT_LOADED = {
  runId: RUN,
  loaded: true,
  tables: [
    { table: 'dim_staff', kind: 'dimension', staged: 2, applied: 2 },
    { table: 'dim_transaction', kind: 'dimension', staged: 3, applied: 2 },
    { table: 'fact_payment', kind: 'fact', staged: 4, applied: 1 },
  ],
  inferred: 4,
  datesAdded: 1,
};

function manifest(runId: string, tables: Record<string, number>): TransformManifest {
  return {
    version: 1,
    stage: 'transform',
    runId,
    source: 'totesys',
    model: 'totesys',
    input: `manifests/extract/${runId}.json`,
    startedAt: '2024-11-15T12:00:00.000Z',
    finishedAt: '2024-11-15T12:00:01.000Z',
    tables: Object.fromEntries(
      Object.entries(tables).map(([name, rows]) => [
        name,
        { kind: name.startsWith('fact') ? 'fact' : 'dimension', rows, objects: [{ key: `processed/totesys/${name}/year=2024/month=11/day=15/${runId}-0000.parquet`, rows, bytes: 100, sha256: 'x' }] },
      ]),
    ),
    quarantined: [],
  };
}

const firstWords = (statements: string[]) => statements.map((s) => s.split(/ (?:USING|SELECT|FROM|WHERE|\(|INTO :)/)[0]);
const blocksSent = (server: FakeSnowflake) => server.statements.filter((s) => s.startsWith('EXECUTE IMMEDIATE $$')).length;

describe('Snowflake warehouse over snowflake-sdk against a local protocol endpoint', () => {
  let server: FakeSnowflake;
  let sim: WarehouseSim;
  let dir: string;
  let lake: LocalObjectStore;
  const rows = new Map<string, number>();
  let config: SnowflakeConfig;

  beforeEach(async () => {
    rows.clear();
    server = await new FakeSnowflake().start();
    sim = new WarehouseSim(server, (key) => rows.get(key) ?? 0);
    dir = await mkdtemp(join(tmpdir(), 'sf-lake-'));
    lake = new LocalObjectStore(dir);
    config = parseSnowflakeUrl(`snowflake://loader:${encodeURIComponent(PASSWORD)}@acme-xy12345/ANALYTICS/TOTESYS?warehouse=LOAD_WH&role=LOADER&stage=TRIBUTARY_PROCESSED_STAGE&accessUrl=${encodeURIComponent(server.url)}`);
  });
  afterEach(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function stage(m: TransformManifest): Promise<void> {
    for (const t of Object.values(m.tables)) for (const o of t.objects) rows.set(o.key, o.rows);
    await writeManifest(lake, m);
  }

  it('creates the totesys star in Snowflake types from the warehouse-neutral model', async () => {
    const ddl = schemaStatements(TOTESYS_STAR);
    expect(ddl).toHaveLength(2 + TOTESYS_STAR.dimensions.length + TOTESYS_STAR.facts.length);
    expect(ddl.find((s) => s.includes('"FACT_PAYMENT"'))).toBe(`CREATE TABLE IF NOT EXISTS "FACT_PAYMENT" (
  "PAYMENT_RECORD_ID" NUMBER(38,0) AUTOINCREMENT START 1 INCREMENT 1 NOT NULL,
  "PAYMENT_ID" INTEGER NOT NULL,
  "CREATED_DATE" DATE NOT NULL,
  "CREATED_TIME" TIME NOT NULL,
  "LAST_UPDATED_DATE" DATE NOT NULL,
  "LAST_UPDATED_TIME" TIME NOT NULL,
  "TRANSACTION_ID" INTEGER NOT NULL,
  "COUNTERPARTY_ID" INTEGER NOT NULL,
  "PAYMENT_AMOUNT" NUMBER(38,6) NOT NULL,
  "CURRENCY_ID" INTEGER NOT NULL,
  "PAYMENT_TYPE_ID" INTEGER NOT NULL,
  "PAID" BOOLEAN NOT NULL,
  "PAYMENT_DATE" DATE NOT NULL,
  PRIMARY KEY ("PAYMENT_RECORD_ID"),
  UNIQUE ("PAYMENT_ID", "LAST_UPDATED_DATE", "LAST_UPDATED_TIME"),
  FOREIGN KEY ("TRANSACTION_ID") REFERENCES "DIM_TRANSACTION" ("TRANSACTION_ID"),
  FOREIGN KEY ("COUNTERPARTY_ID") REFERENCES "DIM_COUNTERPARTY" ("COUNTERPARTY_ID"),
  FOREIGN KEY ("CURRENCY_ID") REFERENCES "DIM_CURRENCY" ("CURRENCY_ID"),
  FOREIGN KEY ("PAYMENT_TYPE_ID") REFERENCES "DIM_PAYMENT_TYPE" ("PAYMENT_TYPE_ID"),
  FOREIGN KEY ("CREATED_DATE") REFERENCES "DIM_DATE" ("DATE_ID"),
  FOREIGN KEY ("LAST_UPDATED_DATE") REFERENCES "DIM_DATE" ("DATE_ID"),
  FOREIGN KEY ("PAYMENT_DATE") REFERENCES "DIM_DATE" ("DATE_ID")
)`);
    expect(ddl.find((s) => s.includes('"DIM_LOCATION"'))).toContain('"ADDRESS_LINE_2" VARCHAR,\n  "DISTRICT" VARCHAR,');
    expect(ddl.find((s) => s.includes('"FACT_SALES_ORDER"'))).toContain('"UNIT_PRICE" NUMBER(10,2) NOT NULL');
  });

  it('logs in with a password, creates the schema, loads a run as one block waited on in the session, and a replay changes nothing', async () => {
    const wh = await SnowflakeWarehouse.connect(config, TOTESYS_STAR);
    expect(server.logins[0]).toMatchObject({ ACCOUNT_NAME: 'acme-xy12345', LOGIN_NAME: 'loader', PASSWORD });
    await wh.ensureSchema();
    expect(server.statements.slice(0, -1)).toEqual(schemaStatements(TOTESYS_STAR).map((s) => s.replace(/\s+/g, ' ').trim()));
    expect(server.queries.at(-1)!.binds).toEqual(['totesys', '1']);
    server.queries.length = 0;

    const m = manifest(RUN, PAYMENT_BATCH);
    await stage(m);
    const [result] = await loadPendingRuns(wh, lake, 'totesys');
    // The session sends the deployed load's block itself, waited on rather than detached.
    expect(server.queries.map((q) => q.sql)).toEqual([lastLoadedRun('totesys').sql, runLoaded(RUN).sql, loadBlock(TOTESYS_STAR, m, config.stage).sql]);
    expect(server.queries.slice(0, 2).map((q) => q.binds)).toEqual([['totesys'], [RUN]]);
    expect(server.async.size).toBe(0);
    const ran = server.ran;
    expect(firstWords(ran)).toEqual(PAYMENT_BLOCK);
    expect(ran[2]).toBe(
      `COPY INTO "STAGE_DIM_STAFF${S}" FROM @TRIBUTARY_PROCESSED_STAGE/processed/totesys/dim_staff/year=2024/month=11/day=15/${RUN}-0000.parquet FILE_FORMAT = (TYPE = PARQUET) MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE FORCE = TRUE`,
    );
    expect(ran[8]).toBe(
      `MERGE INTO "DIM_STAFF" t USING (SELECT "STAFF_ID", "FIRST_NAME", "LAST_NAME", "DEPARTMENT_NAME", "LOCATION", "EMAIL_ADDRESS" FROM "STAGE_DIM_STAFF${S}" QUALIFY ROW_NUMBER() OVER (PARTITION BY "STAFF_ID" ORDER BY "STAFF_ID") = 1) s ON t."STAFF_ID" = s."STAFF_ID" ` +
        'WHEN MATCHED AND (NOT EQUAL_NULL(t."FIRST_NAME", s."FIRST_NAME") OR NOT EQUAL_NULL(t."LAST_NAME", s."LAST_NAME") OR NOT EQUAL_NULL(t."DEPARTMENT_NAME", s."DEPARTMENT_NAME") OR NOT EQUAL_NULL(t."LOCATION", s."LOCATION") OR NOT EQUAL_NULL(t."EMAIL_ADDRESS", s."EMAIL_ADDRESS")) ' +
        'THEN UPDATE SET "FIRST_NAME" = s."FIRST_NAME", "LAST_NAME" = s."LAST_NAME", "DEPARTMENT_NAME" = s."DEPARTMENT_NAME", "LOCATION" = s."LOCATION", "EMAIL_ADDRESS" = s."EMAIL_ADDRESS" ' +
        'WHEN NOT MATCHED THEN INSERT ("STAFF_ID", "FIRST_NAME", "LAST_NAME", "DEPARTMENT_NAME", "LOCATION", "EMAIL_ADDRESS") VALUES (s."STAFF_ID", s."FIRST_NAME", s."LAST_NAME", s."DEPARTMENT_NAME", s."LOCATION", s."EMAIL_ADDRESS")',
    );
    expect(ran[10]).toBe(
      `INSERT INTO "DIM_TRANSACTION" ("TRANSACTION_ID", "TRANSACTION_TYPE", "SALES_ORDER_ID", "PURCHASE_ORDER_ID") SELECT DISTINCT s."TRANSACTION_ID", CAST('UNKNOWN' AS VARCHAR), CAST(NULL AS INTEGER), CAST(NULL AS INTEGER) FROM "STAGE_FACT_PAYMENT${S}" s WHERE s."TRANSACTION_ID" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "DIM_TRANSACTION" d WHERE d."TRANSACTION_ID" = s."TRANSACTION_ID")`,
    );
    expect(ran[14]).toContain('SELECT "D", YEAR("D"), MONTH("D"), DAY("D"), DAYOFWEEKISO("D"), DECODE(DAYOFWEEKISO("D"), 1, \'Monday\',');
    expect(ran[14]).toContain(`FROM (SELECT "CREATED_DATE" AS "D" FROM "STAGE_FACT_PAYMENT${S}" UNION SELECT "LAST_UPDATED_DATE" AS "D" FROM "STAGE_FACT_PAYMENT${S}" UNION SELECT "PAYMENT_DATE" AS "D" FROM "STAGE_FACT_PAYMENT${S}") dates`);
    expect(ran[15]).toBe(
      'INSERT INTO "FACT_PAYMENT" ("PAYMENT_ID", "CREATED_DATE", "CREATED_TIME", "LAST_UPDATED_DATE", "LAST_UPDATED_TIME", "TRANSACTION_ID", "COUNTERPARTY_ID", "PAYMENT_AMOUNT", "CURRENCY_ID", "PAYMENT_TYPE_ID", "PAID", "PAYMENT_DATE") ' +
        `SELECT s."PAYMENT_ID", s."CREATED_DATE", s."CREATED_TIME", s."LAST_UPDATED_DATE", s."LAST_UPDATED_TIME", s."TRANSACTION_ID", s."COUNTERPARTY_ID", s."PAYMENT_AMOUNT", s."CURRENCY_ID", s."PAYMENT_TYPE_ID", s."PAID", s."PAYMENT_DATE" FROM "STAGE_FACT_PAYMENT${S}" s ` +
        'WHERE NOT EXISTS (SELECT 1 FROM "FACT_PAYMENT" f WHERE EQUAL_NULL(f."PAYMENT_ID", s."PAYMENT_ID") AND EQUAL_NULL(f."LAST_UPDATED_DATE", s."LAST_UPDATED_DATE") AND EQUAL_NULL(f."LAST_UPDATED_TIME", s."LAST_UPDATED_TIME")) ' +
        'QUALIFY ROW_NUMBER() OVER (PARTITION BY s."PAYMENT_ID", s."LAST_UPDATED_DATE", s."LAST_UPDATED_TIME" ORDER BY s."PAYMENT_ID", s."LAST_UPDATED_DATE", s."LAST_UPDATED_TIME") = 1',
    );
    // Literals where a session statement would bind: the record names the run, its source and model.
    const record = /^INSERT INTO "TRIBUTARY_LOAD_RUNS" \("RUN_ID", "SOURCE", "MODEL", "SUMMARY"\) SELECT '([^']*)', '([^']*)', '([^']*)', PARSE_JSON\('([^']*)'\) WHERE NOT EXISTS \(SELECT 1 FROM "TRIBUTARY_LOAD_RUNS" WHERE "RUN_ID" = '([^']*)'\)$/.exec(ran[16]);
    expect(record?.slice(1, 4)).toEqual([RUN, 'totesys', 'totesys']);
    expect(record?.[5]).toBe(RUN);
    expect(JSON.parse(record![4])).toEqual({ tables: [{ table: 'dim_staff', staged: 2 }, { table: 'dim_transaction', staged: 3 }, { table: 'fact_payment', staged: 4 }], quarantined: [] });
    expect(result).toEqual(PAYMENT_LOADED);
    expect([...sim.committed]).toEqual([[RUN, 'totesys']]);
    expect(sim.applied).toEqual(PAYMENT_APPLIED);

    // Replay: loadPending sees the run recorded and lists nothing after it.
    server.queries.length = 0;
    expect(await loadPendingRuns(wh, lake, 'totesys')).toEqual([]);
    // Replay of the manifest itself: detected through the runs table, no block sent.
    const replay = await wh.loadRun(lake, m);
    expect(replay).toEqual({ runId: RUN, loaded: false, tables: [], inferred: 0, datesAdded: 0 });
    expect(firstWords(server.statements)).toEqual(['SELECT MAX("RUN_ID") AS "RUN_ID"', 'SELECT COUNT(*) AS "N"']);
    expect(blocksSent(server)).toBe(0);
    expect(sim.applied).toEqual(PAYMENT_APPLIED);
    await wh.close();
    expect(server.sessionsClosed).toBe(1);
  });

  it('a statement failing inside the block leaves nothing applied and no run record; the rerun loads it exactly once', async () => {
    const wh = await SnowflakeWarehouse.connect(config, TOTESYS_STAR);
    const m = manifest(RUN, PAYMENT_BATCH);
    await stage(m);
    sim.fail = (q) => (q.sql.startsWith('INSERT INTO "FACT_PAYMENT"') ? `Numeric value 'abc' is not recognized (as loader with ${PASSWORD})` : undefined);
    const err = await loadPendingRuns(wh, lake, 'totesys').catch((e: Error) => e);
    expect((err as Error).message).toBe(
      `snowflake: the load block of ${RUN} failed: snowflake statement failed: EXECUTE IMMEDIATE $$: Numeric value 'abc' is not recognized (as loader with ***) (code 100038, SQL state 22018)`,
    );
    // The dimensions' merges and the inferred members ran before the failing insert: rolled back with it.
    const lines = firstWords(server.ran);
    expect(lines.slice(lines.indexOf('BEGIN'))).toEqual([...PAYMENT_BLOCK.slice(PAYMENT_BLOCK.indexOf('BEGIN'), PAYMENT_BLOCK.indexOf('INSERT INTO "FACT_PAYMENT"') + 1), 'ROLLBACK']);
    expect(sim.applied).toEqual([]);
    expect(sim.committed.size).toBe(0);
    expect(sim.inTransaction).toBe(false);

    sim.fail = () => undefined;
    server.ran.length = 0;
    expect(await loadPendingRuns(wh, lake, 'totesys')).toEqual([PAYMENT_LOADED]);
    expect(firstWords(server.ran)).toEqual(PAYMENT_BLOCK);
    expect([...sim.committed.keys()]).toEqual([RUN]);
    // Once: neither the next run of the loader nor the manifest again applies anything more.
    expect(await loadPendingRuns(wh, lake, 'totesys')).toEqual([]);
    expect((await wh.loadRun(lake, m)).loaded).toBe(false);
    expect(sim.applied).toEqual(PAYMENT_APPLIED);
    await wh.close();
  });

  it('passes a checkpoint before the block and one after it committed; a crash at either, and the rerun ends loaded once', async () => {
    const wh = await SnowflakeWarehouse.connect(config, TOTESYS_STAR);
    await stage(manifest(RUN, PAYMENT_BATCH));
    const seen: Array<[string, number, number]> = [];
    let crashAt: string | undefined;
    const checkpoint = (point: string) => {
      seen.push([point, blocksSent(server), sim.committed.size]);
      if (point === crashAt) throw new Error(`killed at ${point} (simulated)`);
    };

    crashAt = 'load.before-commit';
    await expect(loadPendingRuns(wh, lake, 'totesys', { checkpoint })).rejects.toThrow('killed at load.before-commit');
    expect(blocksSent(server)).toBe(0);
    expect(sim.applied).toEqual([]);
    crashAt = 'load.after-commit';
    await expect(loadPendingRuns(wh, lake, 'totesys', { checkpoint })).rejects.toThrow('killed at load.after-commit');
    expect([...sim.committed.keys()]).toEqual([RUN]);
    crashAt = undefined;
    expect(await loadPendingRuns(wh, lake, 'totesys', { checkpoint })).toEqual([]);

    // [point, blocks sent before it, runs committed before it]
    expect(seen).toEqual([
      ['load.before-commit', 0, 0],
      ['load.before-commit', 0, 0],
      ['load.after-commit', 1, 1],
    ]);
    expect(blocksSent(server)).toBe(1);
    expect(sim.applied).toEqual(PAYMENT_APPLIED);
    await wh.close();
  });

  it('corrects fact versions in place for a reconcile run', async () => {
    const wh = await SnowflakeWarehouse.connect(config, TOTESYS_STAR);
    const m: TransformManifest = { ...manifest(RUN, { fact_payment: 1 }), purpose: 'reconcile' };
    await stage(m);
    const result = await wh.loadRun(lake, m);
    const merge = server.ran.find((s) => s.startsWith('MERGE INTO "FACT_PAYMENT"'));
    expect(merge).toContain('ON EQUAL_NULL(t."PAYMENT_ID", s."PAYMENT_ID") AND EQUAL_NULL(t."LAST_UPDATED_DATE", s."LAST_UPDATED_DATE") AND EQUAL_NULL(t."LAST_UPDATED_TIME", s."LAST_UPDATED_TIME")');
    expect(merge).toContain('WHEN MATCHED AND (NOT EQUAL_NULL(t."CREATED_DATE", s."CREATED_DATE") OR');
    expect(merge).toContain('THEN UPDATE SET "CREATED_DATE" = s."CREATED_DATE", "CREATED_TIME" = s."CREATED_TIME"');
    expect(merge).not.toMatch(/SET [^W]*"PAYMENT_ID" =/);
    expect(server.ran.some((s) => s.startsWith('INSERT INTO "FACT_PAYMENT"'))).toBe(false);
    expect(result.tables).toEqual([{ table: 'fact_payment', kind: 'fact', staged: 1, applied: 2 }]);
    await wh.close();
  });

  it('refuses a load whose stage yields fewer rows than the manifest, before any change', async () => {
    const wh = await SnowflakeWarehouse.connect(config, TOTESYS_STAR);
    const m = manifest(RUN, { dim_staff: 2 });
    await writeManifest(lake, m); // rows not registered: COPY loads 0 rows
    await expect(wh.loadRun(lake, m)).rejects.toThrow(
      `snowflake: the load block of ${RUN} failed: snowflake statement failed: EXECUTE IMMEDIATE $$: Uncaught exception of type 'STAGED_0' on line 1 at position 0 : snowflake: the rows staged of dim_staff from @TRIBUTARY_PROCESSED_STAGE are not the 2 the manifest says; is the stage on the lake root?`,
    );
    expect(server.ran).not.toContain('BEGIN');
    expect(sim.applied).toEqual([]);
    expect(sim.committed.size).toBe(0);
    await wh.close();
  });

  it('keeps the changes of a concurrent load that recorded the run first', async () => {
    const wh = await SnowflakeWarehouse.connect(config, TOTESYS_STAR);
    const m = manifest(RUN, { dim_staff: 1 });
    await stage(m);
    sim.fail = (q) => {
      // Another loader commits the run between our check and our record.
      if (q.sql.startsWith('BEGIN')) sim.committed.set(RUN, 'totesys');
      return undefined;
    };
    const points: string[] = [];
    const result = await wh.loadRun(lake, m, (point) => void points.push(point));
    expect(result).toEqual({ runId: RUN, loaded: false, tables: [], inferred: 0, datesAdded: 0 });
    expect(server.ran.slice(-2)).toEqual([expect.stringMatching(/^INSERT INTO "TRIBUTARY_LOAD_RUNS"/), 'ROLLBACK']);
    expect(sim.applied).toEqual([]);
    // Nothing of this load was committed, so no point after a commit is passed.
    expect(points).toEqual(['load.before-commit']);
    await wh.close();
  });

  describe('on Snowflake\'s own engine (AsyncLoad): one detached block per unit, the caller polls', () => {
    it('submits the unit as one block, reports RUNNING then FINISHED, and the next call reads its counts', async () => {
      const wh = await SnowflakeWarehouse.connect(config, TOTESYS_STAR);
      const m = manifest(RUN, PAYMENT_BATCH);
      await stage(m);
      server.queries.length = 0;
      const first = await loadNextUnit(wh, lake, 'totesys', { model: TOTESYS_STAR, submit: {} });
      expect(first).toMatchObject({ more: true, runId: RUN, statement: { phase: 'apply', unit: RUN } });
      expect(first.load).toBeUndefined();
      const id = first.statement!.statementId;
      // The function returned with the statement submitted, not waited on: one detached query, the whole load.
      expect([...server.async.keys()]).toEqual([id]);
      // The very block loadRun waits on in the session (above): one load, whichever path runs it.
      expect(server.queries.at(-1)!.sql).toBe(loadBlock(TOTESYS_STAR, m, config.stage).sql);
      expect(server.statements.at(-1)).toMatch(/^EXECUTE IMMEDIATE \$\$ DECLARE /);
      // Any error inside: the transaction rolled back, the unit's staging tables dropped, the error raised to the query.
      expect(server.statements.at(-1)).toMatch(/ EXCEPTION WHEN OTHER THEN ROLLBACK; DROP TABLE IF EXISTS "STAGE_DIM_STAFF_[0-9A-F]{12}"; .* RAISE; END; \$\$$/);
      expect(server.statements.at(-1)).toContain(`staged_0 EXCEPTION (-20001, 'snowflake: the rows staged of dim_staff from @TRIBUTARY_PROCESSED_STAGE are not the 2 the manifest says; is the stage on the lake root?');`);
      expect((await wh.async.status(id)).status).toBe('RUNNING');
      await server.async.get(id)!.done;
      expect(await wh.async.status(id)).toEqual({ status: 'FINISHED' });
      expect(server.statusReports.map(([, s]) => s)).toEqual(['RUNNING', 'SUCCESS']);

      expect(firstWords(server.ran)).toEqual(PAYMENT_BLOCK);
      expect([...sim.committed]).toEqual([[RUN, 'totesys']]);
      expect(sim.applied).toEqual(PAYMENT_APPLIED);

      const next = await loadNextUnit(wh, lake, 'totesys', { model: TOTESYS_STAR, submit: { after: first.statement } });
      expect(next).toMatchObject({ more: false, runId: RUN, finished: RUN });
      expect(next.load).toEqual(PAYMENT_LOADED);
      await expect(wh.async.submitApply(m)).rejects.toThrow(/is one statement \(stage and apply\); there is no apply to submit/);
      await wh.close();
    });

    it('a replayed unit changes nothing: not submitted once recorded, and a block run after another load recorded it returns loaded: false', async () => {
      const wh = await SnowflakeWarehouse.connect(config, TOTESYS_STAR);
      const m = manifest(RUN, { dim_staff: 2, fact_payment: 4 });
      await stage(m);
      sim.committed.set(RUN, 'totesys');
      expect(await wh.async.submitStage(lake, m)).toBeUndefined();
      expect(server.async.size).toBe(0);
      // The block checks again itself (a load that recorded the unit between check and submit).
      const session = await openSnowflakeSession(config);
      const id = await session.submit(loadBlock(TOTESYS_STAR, m, config.stage).sql);
      await server.async.get(id)!.done;
      expect(SnowflakeWarehouse.machineStatus((await session.status(id)).status)).toBe('RUNNING');
      expect(await wh.async.status(id)).toEqual({ status: 'FINISHED' });
      expect(await wh.async.outcome(m, id)).toEqual({ runId: RUN, loaded: false, tables: [], inferred: 0, datesAdded: 0 });
      expect(firstWords(server.ran)).toEqual(['SELECT COUNT(*) AS "N"']);
      expect([...sim.committed]).toEqual([[RUN, 'totesys']]);
      await session.close();
      await wh.close();
    });

    it('a staged count short of the manifest fails the statement before any change; the next Load call raises its error', async () => {
      const wh = await SnowflakeWarehouse.connect(config, TOTESYS_STAR);
      const m = manifest(RUN, { dim_staff: 2 });
      await writeManifest(lake, m); // rows not registered: COPY loads 0 rows
      const first = await loadNextUnit(wh, lake, 'totesys', { model: TOTESYS_STAR, submit: {} });
      await server.async.get(first.statement!.statementId)!.done;
      expect((await wh.async.status(first.statement!.statementId)).status).toBe('RUNNING');
      const failed = await wh.async.status(first.statement!.statementId);
      expect(failed.status).toBe('FAILED');
      expect(failed.error).toContain('the rows staged of dim_staff from @TRIBUTARY_PROCESSED_STAGE are not the 2 the manifest says; is the stage on the lake root?');
      await expect(loadNextUnit(wh, lake, 'totesys', { model: TOTESYS_STAR, submit: { after: first.statement } })).rejects.toThrow(
        new RegExp(`^warehouse statement ${first.statement!.statementId} \\(apply of ${RUN}\\) is FAILED: .*Uncaught exception of type 'STAGED_0'.*the rows staged of dim_staff`),
      );
      expect(server.ran).not.toContain('BEGIN');
      expect(server.ran.at(-1)).toBe('ROLLBACK');
      expect(sim.committed.size).toBe(0);
      await wh.close();
    });

    it("a failed statement's error reaches the caller without the password, and the unit is not recorded", async () => {
      const wh = await SnowflakeWarehouse.connect(config, TOTESYS_STAR);
      const m = manifest(RUN, { dim_staff: 2, fact_payment: 4 });
      await stage(m);
      sim.fail = (q) => (q.sql.startsWith('INSERT INTO "FACT_PAYMENT"') ? `Numeric value 'abc' is not recognized (as loader with ${PASSWORD})` : undefined);
      const first = await loadNextUnit(wh, lake, 'totesys', { model: TOTESYS_STAR, submit: {} });
      await server.async.get(first.statement!.statementId)!.done;
      await wh.async.status(first.statement!.statementId);
      const failed = await wh.async.status(first.statement!.statementId);
      expect(failed.status).toBe('FAILED');
      expect(failed.error).toContain("Numeric value 'abc' is not recognized (as loader with ***)");
      expect(failed.error).not.toContain(PASSWORD);
      const err = await loadNextUnit(wh, lake, 'totesys', { model: TOTESYS_STAR, submit: { after: first.statement } }).catch((e: Error) => e);
      expect((err as Error).message).toMatch(/is FAILED: .*Numeric value 'abc'/);
      expect((err as Error).message).not.toContain(PASSWORD);
      expect(server.ran.slice(-2)).toEqual([expect.stringMatching(/^INSERT INTO "FACT_PAYMENT"/), 'ROLLBACK']);
      expect(sim.committed.size).toBe(0);
      // The retry (the next execution) submits the unit again and loads it.
      sim.fail = () => undefined;
      const retry = await loadNextUnit(wh, lake, 'totesys', { model: TOTESYS_STAR, submit: {} });
      await server.async.get(retry.statement!.statementId)!.done;
      await wh.async.status(retry.statement!.statementId);
      expect((await wh.async.status(retry.statement!.statementId)).status).toBe('FINISHED');
      expect([...sim.committed.keys()]).toEqual([RUN]);
      await wh.close();
    });

    it('maps Snowflake query statuses to the state machine\'s: only FINISHED, FAILED and ABORTED end its wait', () => {
      expect(['SUCCESS', 'FAILED_WITH_ERROR', 'FAILED_WITH_INCIDENT', 'ABORTED', 'DISCONNECTED', 'RUNNING', 'QUEUED', 'BLOCKED', 'RESUMING_WAREHOUSE', 'NO_DATA'].map(SnowflakeWarehouse.machineStatus)).toEqual(
        ['FINISHED', 'FAILED', 'FAILED', 'ABORTED', 'ABORTED', 'RUNNING', 'QUEUED', 'BLOCKED', 'RESUMING_WAREHOUSE', 'NO_DATA'],
      );
    });

    it('refuses a value that would end the block early', () => {
      const m = { ...manifest(RUN, { dim_staff: 1 }), source: 'a$$b' };
      expect(() => loadBlock(TOTESYS_STAR, m, config.stage)).toThrow(/holds "\$\$"/);
    });
  });

  it('reports last runs and row counts', async () => {
    const wh = await SnowflakeWarehouse.connect(config, TOTESYS_STAR);
    sim.committed.set(RUN, 'totesys');
    expect(await wh.lastRuns(3)).toEqual([{ runId: RUN, source: 'totesys', loadedAt: '2024-01-01 00:00:00.000' }]);
    expect(server.queries.at(-1)!.binds).toEqual(['3']);
    const counts = await wh.rowCounts();
    expect(Object.keys(counts)).toEqual([...TOTESYS_STAR.dimensions, ...TOTESYS_STAR.facts].map((t) => t.name));
    expect(counts.fact_payment).toBe(5);
    await wh.close();
  });

  it('authenticates with a key pair (SNOWFLAKE_JWT) without sending the private key', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const wh = await SnowflakeWarehouse.connect({ ...config, password: undefined, privateKey }, TOTESYS_STAR);
    const login = server.logins[0];
    expect(login.AUTHENTICATOR).toBe('SNOWFLAKE_JWT');
    expect(String(login.TOKEN).split('.')).toHaveLength(3);
    expect(login.PASSWORD).toBeUndefined();
    const body = privateKey.split('\n')[1];
    expect(JSON.stringify(server.logins)).not.toContain(body);
    await wh.close();
  });

  it('masks the password in a failed login', async () => {
    server.loginError = `Incorrect username or password was specified (${PASSWORD}).`;
    const err = await SnowflakeWarehouse.connect(config, TOTESYS_STAR).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^snowflake login to acme-xy12345 as loader: Incorrect username or password was specified \(\*\*\*\)\./);
    expect((err as Error).message).not.toContain(PASSWORD);
  });

  it('parses URLs and secrets, and refuses unsafe names', async () => {
    expect(config).toEqual({
      account: 'acme-xy12345',
      username: 'loader',
      password: PASSWORD,
      database: 'ANALYTICS',
      schema: 'TOTESYS',
      warehouse: 'LOAD_WH',
      role: 'LOADER',
      stage: 'TRIBUTARY_PROCESSED_STAGE',
      accessUrl: server.url,
    });
    expect(parseSnowflakeUrl('snowflake://u@acct/DB/SC').stage).toBe('TRIBUTARY_PROCESSED_STAGE');
    expect(() => parseSnowflakeUrl('snowflake://u@acct/DB')).toThrow(/needs a user, an account, a database and a schema/);
    expect(() => parseSnowflakeUrl('postgres://u@h/db')).toThrow(/expected a snowflake:\/\/ URL/);
    expect(() => parseSnowflakeUrl('not a url')).toThrow(/not a URL/);
    expect(() => parseSnowflakeUrl('snowflake://u@acct/DB/SC?stage=x;drop')).toThrow(/stage "x;drop" is not a plain identifier/);
    expect(() => copyIntoStage(TOTESYS_STAR.dimensions[0], 'S', "a' b", S)).toThrow(/cannot be used in a stage path/);
    expect(() => parseSnowflakeSecret('sf', '{"account":"a","user":"u"}')).toThrow('secret sf: needs "password" or "private_key"');
    expect(() => parseSnowflakeSecret('sf', '{"account":"a","password":"secret-pw","database":"D"}')).toThrow('secret sf: missing key "user"');
    expect(() => parseSnowflakeSecret('sf', '{"account":"a","user":"u","password":"secret-pw","database":"D","schema":"S","stage":"bad stage"}')).toThrow('secret sf: snowflake: stage "bad stage" is not a plain identifier');

    useMotoCredentials();
    clearRegisteredSecrets();
    const secrets = new SecretsManagerClient({ endpoint: motoUrl(), region: 'eu-west-2' });
    const name = uniqueName('snowflake');
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIBVAIBADANBgkqhkiG9w0BAQEFAASCAT4wggE6\n-----END PRIVATE KEY-----';
    await secrets.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: JSON.stringify({ account: 'acme', username: 'svc', private_key: pem, private_key_passphrase: 'kp-pass-123', database: 'ANALYTICS', schema: 'RECURLY', warehouse: 'WH', role: 'R', stage: 'DB.SC.LAKE_STAGE' }),
      }),
    );
    expect(await getSnowflakeSecret(name, { endpoint: motoUrl() })).toEqual({
      account: 'acme',
      username: 'svc',
      privateKey: pem,
      privateKeyPassphrase: 'kp-pass-123',
      database: 'ANALYTICS',
      schema: 'RECURLY',
      warehouse: 'WH',
      role: 'R',
      stage: 'DB.SC.LAKE_STAGE',
    });
    expect(redact('kp-pass-123 leaked')).toBe('*** leaked');
  });
});
