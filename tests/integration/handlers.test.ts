import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { S3ObjectStore, s3ClientFor } from '../../runtime/lake/s3';
import { extractStage } from '../../runtime/handlers/extract';
import { transformStage } from '../../runtime/handlers/transform';
import { loadStage } from '../../runtime/handlers/load';
import { clearSecretCache } from '../../runtime/config/secrets';
import { count, totesysFixture, type TotesysFixture } from '../support/totesys';
import { createDatabase, motoUrl, uniqueName, useMotoCredentials } from '../support/services';
import { postgresSecretFor } from '../support/secrets';
import { FakeRecurly } from '../support/recurly-server';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('Lambda handlers over S3 buckets and Secrets Manager (moto)', () => {
  let fx: TotesysFixture;
  let env: NodeJS.ProcessEnv;
  let rawBucket: string;
  let processedBucket: string;

  beforeAll(async () => {
    useMotoCredentials();
    clearSecretCache();
    fx = await totesysFixture();
    rawBucket = uniqueName('raw');
    processedBucket = uniqueName('processed');
    const s3 = s3ClientFor(motoUrl());
    for (const b of [rawBucket, processedBucket]) {
      await s3.send(new CreateBucketCommand({ Bucket: b, CreateBucketConfiguration: { LocationConstraint: 'eu-west-2' } }));
    }
    env = {
      ...process.env,
      TRIBUTARY_PIPELINE: 'totesys',
      TRIBUTARY_SOURCE_NAME: 'totesys',
      TRIBUTARY_RAW_LAKE: `s3://${rawBucket}`,
      TRIBUTARY_PROCESSED_LAKE: `s3://${processedBucket}`,
      TRIBUTARY_S3_ENDPOINT: motoUrl(),
      TRIBUTARY_SECRETS_ENDPOINT: motoUrl(),
      TRIBUTARY_SOURCE_SECRET_ARN: await postgresSecretFor(fx.sourceUrl),
      TRIBUTARY_WAREHOUSE_SECRET_ARN: await postgresSecretFor(fx.warehouseUrl),
      TRIBUTARY_WAREHOUSE_KIND: 'postgres',
    };
  });

  it('runs extract → transform → load with the small JSON Step Functions passes', async () => {
    const rowsByTable: Record<string, number> = {};
    const extracted = await extractStage({}, env, (t, n) => (rowsByTable[t] = n));
    expect(extracted.rows).toBe(30 + 20 + 3 + 8 + 473 + 20 + 4 + 11187 + 4649 + 15836 + 15836);
    expect(extracted.failedTables).toEqual([]);
    expect(rowsByTable.payment).toBe(15836);
    expect(JSON.stringify(extracted).length).toBeLessThan(1000);

    const transformed = await transformStage({ runId: extracted.runId, runStartedAt: extracted.runStartedAt }, env);
    expect(transformed.transformedRuns).toEqual([extracted.runId]);
    const loaded = await loadStage({ runId: extracted.runId }, env);
    expect(loaded.loadedRuns).toEqual([extracted.runId]);
    expect(loaded.factsAppended).toBe(11187 + 4649 + 15836);
    expect(await count(fx.warehouseUrl, 'SELECT count(*) AS n FROM fact_payment')).toBe(15836);

    // Raw zone and extract manifests in the raw bucket, processed zone in the processed bucket.
    const raw = await new S3ObjectStore({ bucket: rawBucket, endpoint: motoUrl() }).list('');
    const processed = await new S3ObjectStore({ bucket: processedBucket, endpoint: motoUrl() }).list('');
    expect(raw).toContain(`manifests/extract/${extracted.runId}.json`);
    expect(raw.filter((k) => k.startsWith('raw/totesys/sales_order/year='))).toHaveLength(1);
    expect(raw.some((k) => k.startsWith('processed/'))).toBe(false);
    expect(processed).toContain(`manifests/transform/${extracted.runId}.json`);
    expect(processed.some((k) => /^processed\/totesys\/fact_sales_order\/year=\d{4}\/month=\d{2}\/day=\d{2}\/.+-0000\.parquet$/.test(k))).toBe(true);
  });

  it('is harmless when a step is retried: a second load of the same run changes nothing', async () => {
    const before = await count(fx.warehouseUrl, 'SELECT count(*) AS n FROM fact_sales_order');
    const transformed = await transformStage({ runId: 'retry' }, env);
    expect(transformed.transformedRuns).toEqual([]);
    const loaded = await loadStage({ runId: 'retry' }, env);
    expect(loaded.loadedRuns).toEqual([]);
    expect(await count(fx.warehouseUrl, 'SELECT count(*) AS n FROM fact_sales_order')).toBe(before);
  });

  it('fails with a message naming the missing setting', async () => {
    await expect(extractStage({}, { ...env, TRIBUTARY_RAW_LAKE: undefined, TRIBUTARY_LAKE: undefined })).rejects.toThrow(/TRIBUTARY_LAKE is not set/);
    await expect(loadStage({ runId: 'x' }, { ...env, TRIBUTARY_WAREHOUSE_SECRET_ARN: undefined })).rejects.toThrow(/TRIBUTARY_WAREHOUSE_SECRET_ARN nor TRIBUTARY_WAREHOUSE_URL/);
    // A PostgreSQL secret is not Snowflake credentials: the error names the secret and the key.
    await expect(loadStage({ runId: 'x' }, { ...env, TRIBUTARY_WAREHOUSE_KIND: 'snowflake' })).rejects.toThrow(/missing key "account"/);
    await expect(loadStage({ runId: 'x' }, { ...env, TRIBUTARY_WAREHOUSE_KIND: 'oracle' })).rejects.toThrow(/expected postgres, snowflake or redshift/);
    await expect(extractStage({}, { ...env, TRIBUTARY_SOURCE_KIND: 'mysql' })).rejects.toThrow(/expected postgres or rest/);
  });
});

describe('the same handlers running the REST (Recurly) pipeline', () => {
  it('extracts pages, types them and loads them, with the API key from Secrets Manager', async () => {
    useMotoCredentials();
    const key = 'rk_live_0123456789abcdef';
    const api = await new FakeRecurly(key).start();
    try {
      api.data.set('accounts', [
        { id: 'a1', updated_at: '2024-05-01T10:00:00Z', code: 'acme', email: 'ops@acme.test', state: 'active', created_at: '2024-05-01T10:00:00Z' },
        { id: 'a2', updated_at: '2024-05-02T10:00:00Z', code: 'globex', email: 'ap@globex.test', state: 'active', created_at: '2024-05-02T10:00:00Z' },
      ]);
      const sm = new SecretsManagerClient({ endpoint: motoUrl(), region: 'eu-west-2' });
      const secret = await sm.send(new CreateSecretCommand({ Name: uniqueName('recurly/key'), SecretString: JSON.stringify({ api_key: key }) }));
      const warehouseUrl = await createDatabase('recurlywh');
      const lakeDir = mkdtempSync(join(tmpdir(), 'lake-rest-'));
      const restEnv: NodeJS.ProcessEnv = {
        TRIBUTARY_SOURCE_KIND: 'rest',
        TRIBUTARY_SOURCE_NAME: 'recurly',
        TRIBUTARY_LAKE: lakeDir,
        TRIBUTARY_API_URL: api.url,
        TRIBUTARY_ENDPOINTS: 'accounts',
        TRIBUTARY_SOURCE_SECRET_ARN: secret.ARN,
        TRIBUTARY_SECRETS_ENDPOINT: motoUrl(),
        TRIBUTARY_WAREHOUSE_URL: warehouseUrl,
      };
      const extracted = await extractStage({}, restEnv);
      expect(extracted.rows).toBe(2);
      expect((await transformStage({ runId: extracted.runId }, restEnv)).transformedRuns).toEqual([extracted.runId]);
      expect((await loadStage({ runId: extracted.runId }, restEnv)).loadedRuns).toEqual([extracted.runId]);
      expect(await count(warehouseUrl, 'SELECT count(*) AS n FROM recurly_accounts')).toBe(2);
    } finally {
      await api.stop();
    }
  });
});
