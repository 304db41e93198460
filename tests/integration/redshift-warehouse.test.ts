import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { runCommand, type CliIo } from '../../runtime/cli/commands';
import { listManifestRunIds, readManifest, type TransformManifest } from '../../runtime/lake/manifest';
import { S3ObjectStore, s3ClientFor } from '../../runtime/lake/s3';
import { TOTESYS_STAR } from '../../runtime/model/totesys/star';
import { loadIntoWarehouse, loadNextUnit, loadPendingRuns, type SubmittedStatement } from '../../runtime/pipeline/load-step';
import { runPipeline } from '../../runtime/pipeline/run';
import { upsertDimension } from '../../runtime/warehouse/postgres/load';
import { DataApi } from '../../runtime/warehouse/redshift/data-api';
import { parseRedshiftUrl } from '../../runtime/warehouse/redshift/kind';
import { RedshiftWarehouse, type RedshiftConfig } from '../../runtime/warehouse/redshift/warehouse';
import { totesys } from '../support/pipelines';
import { FakeRedshiftData, redshiftRejects } from '../support/redshift-data-server';
import { createDatabase, motoUrl, uniqueName, useMotoCredentials } from '../support/services';
import { count, totesysFixture } from '../support/totesys';
import { warehouseChecksums } from '../support/warehouse-checksum';

const WORKGROUP = 'analytics';
const DATABASE = 'dev';
const COPY_ROLE = 'arn:aws:iam::210987654321:role/tributary-dev-totesys-redshift-copy';

describe('Redshift warehouse through the Data API (local endpoint on real PostgreSQL, COPY from moto S3)', () => {
  let lake: S3ObjectStore;
  let bucket: string;
  let pgWarehouse: string;
  let sourceUrl: string;
  let reference: Awaited<ReturnType<typeof warehouseChecksums>>;
  let endpointBefore: string | undefined;

  beforeAll(async () => {
    useMotoCredentials();
    endpointBefore = process.env.AWS_ENDPOINT_URL_REDSHIFT_DATA;
    bucket = uniqueName('rs-lake');
    await s3ClientFor(motoUrl()).send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-west-2' } }));
    lake = new S3ObjectStore({ bucket, prefix: 'lake', endpoint: motoUrl() });
    const fx = await totesysFixture();
    pgWarehouse = fx.warehouseUrl;
    sourceUrl = fx.sourceUrl;
    // The PostgreSQL pipeline over the real extract: its star schema is the reference.
    await runPipeline(totesys(fx.sourceUrl, pgWarehouse, lake));
    reference = await warehouseChecksums(pgWarehouse);
  }, 180_000);

  afterAll(() => {
    if (endpointBefore === undefined) delete process.env.AWS_ENDPOINT_URL_REDSHIFT_DATA;
    else process.env.AWS_ENDPOINT_URL_REDSHIFT_DATA = endpointBefore;
  });

  async function redshift(): Promise<{ server: FakeRedshiftData; url: string; config: RedshiftConfig }> {
    const url = await createDatabase('redshift');
    const server = await new FakeRedshiftData(url, motoUrl(), { workgroup: WORKGROUP, database: DATABASE }).start();
    // The SDK's standard setting: the real client finds the endpoint by itself.
    process.env.AWS_ENDPOINT_URL_REDSHIFT_DATA = server.url;
    const config = parseRedshiftUrl(`redshift://${WORKGROUP}/${DATABASE}`, COPY_ROLE, `s3://${bucket}/lake`);
    return { server, url, config };
  }

  const open = (config: RedshiftConfig) => RedshiftWarehouse.connect(config, TOTESYS_STAR, { api: new DataApi(config, { pollMs: 20 }) });

  it('loads the real extract into the same star schema as PostgreSQL (every model table); a replay changes nothing', async () => {
    const { server, url, config } = await redshift();
    try {
      const { loads, dataTests } = await loadIntoWarehouse(open(config), lake, 'totesys');
      expect(loads.length).toBeGreaterThan(0);
      expect(loads.every((l) => l.loaded)).toBe(true);
      const checksums = await warehouseChecksums(url);
      expect(Object.keys(checksums).sort()).toEqual([...TOTESYS_STAR.dimensions, ...TOTESYS_STAR.facts].map((t) => t.name).sort());
      expect(checksums).toEqual(reference);
      expect(dataTests.length).toBeGreaterThan(0);
      expect(dataTests.filter((t) => t.failures > 0)).toEqual([]);
      // Counts come back from the Data API's per-statement rows.
      const facts = loads.flatMap((l) => l.tables).filter((t) => t.table === 'fact_payment');
      expect(facts.reduce((n, t) => n + t.applied, 0)).toBe(reference.fact_payment.rows);
      expect(loads.reduce((n, l) => n + l.datesAdded, 0)).toBe(reference.dim_date.rows);
      // Every load was a COPY from the processed zone with the COPY role, in batches of at most 40.
      expect(server.received.filter((s) => s.startsWith('COPY ')).every((s) => s.includes(`FROM 's3://${bucket}/lake/processed/_redshift/totesys/`) && s.includes(`IAM_ROLE '${COPY_ROLE}' FORMAT AS PARQUET`))).toBe(true);

      // Replay: nothing pending, and the manifest itself is recognised as loaded.
      const again = open(config);
      try {
        expect(await loadPendingRuns(again, lake, 'totesys')).toEqual([]);
        const [runId] = await listManifestRunIds(lake, 'transform');
        const manifest = (await readManifest<TransformManifest>(lake, 'transform', runId))!;
        expect((await again.loadRun(lake, manifest)).loaded).toBe(false);
        expect(await again.lastRuns(5)).toEqual(expect.arrayContaining([expect.objectContaining({ runId, source: 'totesys' })]));
        expect(await again.rowCounts()).toEqual(Object.fromEntries(Object.entries(reference).map(([t, c]) => [t, c.rows])));
      } finally {
        await again.close();
      }
      expect(await warehouseChecksums(url)).toEqual(reference);
    } finally {
      await server.stop();
    }
  }, 180_000);

  it('a load that fails mid-way applies nothing; the next one loads everything once', async () => {
    const { server, url, config } = await redshift();
    try {
      await open(config).ensureSchema();
      server.fail = (sql) => (sql.startsWith('INSERT INTO "fact_payment"') ? 'connection to the cluster was lost' : undefined);
      await expect(loadIntoWarehouse(open(config), lake, 'totesys')).rejects.toThrow(/redshift statement failed: ERROR: connection to the cluster was lost/);
      // Dimensions were merged and sales facts appended earlier in the same batch: all rolled back.
      for (const table of Object.keys(reference)) expect({ table, rows: await count(url, `SELECT count(*) AS n FROM ${table}`) }).toEqual({ table, rows: 0 });
      expect(await count(url, 'SELECT count(*) AS n FROM tributary_load_runs')).toBe(0);
      server.fail = () => undefined;
      await loadIntoWarehouse(open(config), lake, 'totesys');
      expect(await warehouseChecksums(url)).toEqual(reference);
    } finally {
      await server.stop();
    }
  }, 180_000);

  it('rejects what Redshift does not accept, so PostgreSQL-only SQL fails here', async () => {
    const { server, config } = await redshift();
    const api = new DataApi(config, { pollMs: 20 });
    try {
      for (const sql of [
        'INSERT INTO t (id) VALUES (1) ON CONFLICT DO NOTHING',
        "SELECT pg_advisory_xact_lock(1)",
        'SELECT 1 WHERE 1 IS DISTINCT FROM 2',
        'SELECT * FROM generate_series(1, 3)',
        'COPY t FROM STDIN',
        'CREATE TABLE t (id bigserial, name text)',
      ]) {
        await expect(api.query(sql)).rejects.toThrow(/redshift statement failed: ERROR: Redshift does not accept this statement/);
      }
      // The PostgreSQL adapter's own upsert is among them.
      const captured: string[] = [];
      await upsertDimension({ query: async (sql: string) => (captured.push(sql), { rowCount: 0 }) } as never, TOTESYS_STAR.dimensions[1]);
      expect(redshiftRejects(captured[0])).toMatch(/ON CONFLICT/);
      await expect(api.submit(Array.from({ length: 41 }, () => 'SELECT 1'))).rejects.toThrow(/at most 40 statements/);
    } finally {
      api.close();
      await server.stop();
    }
  });

  it('runs from the CLI: tributary run --warehouse redshift://<workgroup>/<database> --redshift-copy-role …', async () => {
    const { server, url } = await redshift();
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), interactive: false, env: {} };
    try {
      const argv = ['--source', sourceUrl, '--lake', `s3://${bucket}/cli`, '--s3-endpoint', motoUrl(), '--warehouse', `redshift://${WORKGROUP}/${DATABASE}`, '--redshift-copy-role', COPY_ROLE];
      expect(await runCommand(argv, io)).toBe(0);
      expect(err).toEqual([]);
      expect(out.join('\n')).toMatch(/fact_payment\s+15,836\s+15,836/);
      expect(await warehouseChecksums(url)).toEqual(reference);
      await expect(runCommand(['--warehouse', `redshift://${WORKGROUP}/${DATABASE}`, '--lake', `s3://${bucket}/cli`], io)).rejects.toThrow(/--redshift-copy-role: required/);
    } finally {
      await server.stop();
    }
  }, 180_000);

  it('asynchronous statements: each load call submits and returns its statement id, the caller polls DescribeStatement, units of 5,000 rows end equal to PostgreSQL', async () => {
    const { server, url, config } = await redshift();
    try {
      const wh = open(config);
      await wh.ensureSchema();
      const api = new DataApi(config);
      // A statement that failed fails the next call with its error (the state machine's Catch then alerts).
      const failing = await api.submit('SELECT 1/0');
      await api.wait(failing).catch(() => undefined);
      await expect(loadNextUnit(wh, lake, 'totesys', { model: TOTESYS_STAR, unitRows: 5000, submit: { after: { statementId: failing, phase: 'stage', unit: 'any' } } })).rejects.toThrow(/is FAILED: .*division by zero/);
      let after: SubmittedStatement | undefined;
      const phases: string[] = [];
      let polls = 0;
      for (let calls = 0; ; calls++) {
        expect(calls).toBeLessThan(200);
        const step = await loadNextUnit(wh, lake, 'totesys', { model: TOTESYS_STAR, unitRows: 5000, submit: { after } });
        after = step.statement;
        if (!after) {
          if (!step.more) break;
          continue;
        }
        phases.push(after.phase);
        // As the state machine: poll until the statement ends, no function waiting on it.
        for (;;) {
          polls++;
          const status = (await api.describe(after.statementId)).status;
          if (status === 'FINISHED') break;
          expect(['SUBMITTED', 'PICKED', 'STARTED']).toContain(status);
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      expect(await warehouseChecksums(url)).toEqual(reference);
      // Units: stage then apply for each, and the runs' own records.
      expect(phases.filter((p) => p === 'stage').length).toBeGreaterThan(2);
      // Units: stage then apply for each, then the run's own record (an apply alone).
      expect(phases.join(' ')).toMatch(/^(stage apply )+apply$/);
      expect(polls).toBeGreaterThanOrEqual(phases.length);
      expect(await count(url, `SELECT count(*) AS n FROM tributary_load_runs WHERE run_id LIKE '-%'`)).toBeGreaterThan(2);
      await wh.close();
    } finally {
      await server.stop();
    }
  });

  it('parses the --warehouse forms and refuses what cannot work', () => {
    expect(parseRedshiftUrl('redshift://analytics/dev', COPY_ROLE, 's3://b/p')).toEqual({ workgroup: 'analytics', database: 'dev', copyRoleArn: COPY_ROLE, processedLake: 's3://b/p' });
    expect(parseRedshiftUrl('redshift://cluster:wh-1/dev?user=loader', COPY_ROLE, 's3://b')).toMatchObject({ clusterIdentifier: 'wh-1', dbUser: 'loader', database: 'dev' });
    expect(() => parseRedshiftUrl('redshift://cluster:wh-1/dev', COPY_ROLE, 's3://b')).toThrow(/needs \?user=<db user>/);
    expect(() => parseRedshiftUrl('redshift://analytics/dev', undefined, 's3://b')).toThrow(/--redshift-copy-role: required/);
    expect(() => parseRedshiftUrl('redshift://analytics/dev', COPY_ROLE, '/tmp/lake')).toThrow(/must be an s3:\/\/ location/);
    expect(() => parseRedshiftUrl('redshift://analytics', COPY_ROLE, 's3://b')).toThrow(/expected redshift:\/\/<workgroup>\/<database>/);
  });
});
