/**
 * The deployed site, end to end over moto: the real step handlers (as Lambda runs them, from
 * process.env) write their run records, the site function renders `site/index.html` into the
 * processed bucket after an execution ends (closing a timed-out run as failed), the notifier's
 * alert links to it with a presigned URL that opens the run's page, and the page holds no
 * secret and no raw row.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { clearSecretCache } from '../../runtime/config/secrets';
import { siteLink } from '../../runtime/docs/site-link';
import { handler as extractHandler } from '../../runtime/handlers/extract';
import { createNotifier } from '../../runtime/handlers/notify';
import { handler as siteHandler } from '../../runtime/handlers/site';
import { handler as transformHandler } from '../../runtime/handlers/transform';
import { handler as loadHandler } from '../../runtime/handlers/load';
import { openLake } from '../../runtime/lake/open';
import { lastRunRecords } from '../../runtime/state/run-history';
import { readRunRecords } from '../../runtime/state/run-record';
import { s3ClientFor } from '../../runtime/lake/s3';
import { motoUrl, uniqueName, useMotoCredentials } from '../support/services';
import { postgresSecretFor } from '../support/secrets';
import { totesysFixture, withClient, type TotesysFixture } from '../support/totesys';

const STATE_MACHINE = 'arn:aws:states:eu-west-2:123456789012:stateMachine:tributary-dev-totesys';
const silent = { write: () => true };

describe('deployed docs site (moto)', () => {
  let fx: TotesysFixture;
  let saved: NodeJS.ProcessEnv;
  let processedBucket: string;
  const quiet: jest.SpyInstance[] = [];

  beforeAll(async () => {
    useMotoCredentials();
    clearSecretCache();
    fx = await totesysFixture();
    const rawBucket = uniqueName('site-raw');
    processedBucket = uniqueName('site-processed');
    const s3 = s3ClientFor(motoUrl());
    for (const b of [rawBucket, processedBucket]) await s3.send(new CreateBucketCommand({ Bucket: b, CreateBucketConfiguration: { LocationConstraint: 'eu-west-2' } }));
    saved = { ...process.env };
    Object.assign(process.env, {
      TRIBUTARY_PIPELINE: 'totesys',
      TRIBUTARY_SOURCE_NAME: 'totesys',
      TRIBUTARY_RAW_LAKE: `s3://${rawBucket}`,
      TRIBUTARY_PROCESSED_LAKE: `s3://${processedBucket}`,
      TRIBUTARY_S3_ENDPOINT: motoUrl(),
      TRIBUTARY_SECRETS_ENDPOINT: motoUrl(),
      TRIBUTARY_SOURCE_SECRET_ARN: await postgresSecretFor(fx.sourceUrl, 'tributary/site'),
      TRIBUTARY_WAREHOUSE_SECRET_ARN: await postgresSecretFor(fx.warehouseUrl, 'tributary/site'),
      TRIBUTARY_WAREHOUSE_KIND: 'postgres',
      TRIBUTARY_SITE_LOCATION: `s3://${processedBucket}/site/index.html`,
      TRIBUTARY_SITE_SOURCES: JSON.stringify({ [STATE_MACHINE]: 'totesys' }),
      TRIBUTARY_ENVIRONMENT: 'dev',
    });
    // The handlers log JSON lines; the assertions are on the lake and the site.
    quiet.push(jest.spyOn(process.stdout, 'write').mockImplementation(silent.write), jest.spyOn(process.stderr, 'write').mockImplementation(silent.write));
  }, 120_000);

  afterAll(() => {
    for (const spy of quiet) spy.mockRestore();
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });

  it('steps record their runs, the site shows them without secrets or rows, and the alert links to the run page', async () => {
    // A whole execution: extract → transform → load, each its own invocation.
    const extracted = await extractHandler({});
    await transformHandler({ runId: extracted.runId, runStartedAt: extracted.runStartedAt });
    await loadHandler({ runId: extracted.runId, runStartedAt: extracted.runStartedAt });
    await siteHandler({ 'detail-type': 'Step Functions Execution Status Change', detail: { status: 'SUCCEEDED', stateMachineArn: STATE_MACHINE, startDate: Date.parse(extracted.runStartedAt) } });

    // A second execution whose transform was killed at its timeout: only extract got to record.
    const started = Date.now();
    const stuck = await extractHandler({});
    const built = await siteHandler({
      'detail-type': 'Step Functions Execution Status Change',
      detail: { status: 'TIMED_OUT', stateMachineArn: STATE_MACHINE, startDate: started, error: 'States.Timeout', cause: 'Task timed out after 900.00 seconds' },
    });
    expect(built.closedRun).toBe(stuck.runId);

    const lake = openLake(process.env.TRIBUTARY_RAW_LAKE!, motoUrl());
    const records = await readRunRecords(lake, 'totesys');
    expect(records.map((r) => [r.runId, r.status, r.steps.map((s) => s.step)])).toEqual([
      [extracted.runId, 'succeeded', ['extract', 'transform', 'load']],
      [stuck.runId, 'failed', ['extract']],
    ]);
    expect(records[0].rowsExtracted).toBe(extracted.rows);
    expect(records[0].rowsLoaded).toBeGreaterThan(0);
    expect(records[1].error).toBe('execution TIMED_OUT: States.Timeout: Task timed out after 900.00 seconds');
    // `tributary status` reads the same records.
    expect((await lastRunRecords(lake, 'totesys', 10)).map((r) => r.outcome)).toEqual(['failed', 'succeeded']);

    // The alert's link: presigned, opening the failed run's page.
    let posted: { blocks: Array<{ elements?: Array<{ text: string }> }> } | undefined;
    const slack: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        // The Slack client posts form fields; blocks is a JSON field of them.
        const form = new URLSearchParams(body);
        posted = { blocks: JSON.parse(form.get('blocks') ?? '[]') as NonNullable<typeof posted>['blocks'] };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, ts: '1.2' }));
      });
    });
    await new Promise<void>((r) => slack.listen(0, '127.0.0.1', r));
    try {
      const notify = createNotifier({
        channel: '#alerts',
        getToken: async () => 'xoxb-test',
        slackApiUrl: `http://127.0.0.1:${(slack.address() as AddressInfo).port}/api/`,
        links: { region: 'eu-west-2', logGroupPrefix: '/aws/lambda/tributary-{environment}-{pipeline}-' },
        siteLink: (runId) => siteLink(process.env.TRIBUTARY_SITE_LOCATION!, { runId, endpoint: motoUrl() }),
      });
      const alert = { kind: 'step-failure', pipeline: 'totesys', environment: 'dev', step: 'Transform', runId: stuck.runId, executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:x`, error: 'States.Timeout', cause: 'timed out' };
      await notify({ Records: [{ Sns: { Message: JSON.stringify(alert), MessageId: 'm-1' } }] });
    } finally {
      await new Promise<void>((r) => slack.close(() => r()));
    }
    const linkText = posted!.blocks.flatMap((b) => b.elements ?? []).map((e) => e.text).join(' ');
    const link = /<([^|>]+)\|Run history>/.exec(linkText)?.[1];
    expect(link).toMatch(new RegExp(`X-Amz-Signature=.*#run-${stuck.runId}$`));
    const page = await fetch(link!);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    // The run's page is in the one file, under the anchor the link names, with its error.
    expect(html).toContain(`<section class="page" id="run-${stuck.runId}">`);
    expect(html).toContain('execution TIMED_OUT: States.Timeout');
    expect(html).toContain(`href="#run-${extracted.runId}"`);
    expect(html).not.toMatch(/href="[^"#]+\.html"/);
    // Without the signature the object is not readable.
    expect((await fetch(link!.split('?')[0])).status).toBe(403);

    // Nothing secret, nothing raw: no password, no value of a source row.
    const secrets = [new URL(fx.sourceUrl).password, new URL(fx.warehouseUrl).password].filter((p) => p.length > 3);
    expect(secrets.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(html).not.toContain(decodeURIComponent(secret));
    const rowValues = await withClient(fx.sourceUrl, async (c) => [
      ...(await c.query<{ v: string }>('SELECT email_address AS v FROM staff LIMIT 5')).rows,
      ...(await c.query<{ v: string }>('SELECT counterparty_legal_name AS v FROM counterparty LIMIT 5')).rows,
      ...(await c.query<{ v: string }>('SELECT address_line_1 AS v FROM address LIMIT 5')).rows,
    ]);
    expect(rowValues.length).toBe(15);
    for (const { v } of rowValues) expect(html).not.toContain(v);
  }, 240_000);
});
