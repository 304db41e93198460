import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { runAlertCommand } from '../../runtime/cli/alert';
import { runLogsCommand } from '../../runtime/cli/logs';
import { createNotifier } from '../../runtime/handlers/notify';
import { instrumentHandler } from '../../runtime/telemetry/handler';
import { createLogger } from '../../runtime/telemetry/logger';
import { createMetrics } from '../../runtime/telemetry/metrics';
import { clearRegisteredSecrets, registerSecret } from '../../runtime/telemetry/redact';
import { motoUrl, uniqueName, useMotoCredentials } from '../support/services';

const PASSWORD = 'logs-Pw-99d2a1';

function io(): { out: string[]; err: string[]; io: { out: (s: string) => void; err: (s: string) => void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (s) => out.push(s), err: (s) => err.push(s) } };
}

/** Runs a wrapped stage and returns the JSON lines it wrote (what Lambda ships to CloudWatch). */
async function stageOutput(stage: string, fn: () => Promise<unknown>, runId: string): Promise<string[]> {
  const chunks: string[] = [];
  const sink = (chunk: string | Uint8Array): boolean => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(sink),
    jest.spyOn(process.stderr, 'write').mockImplementation(sink),
  ];
  try {
    const handler = instrumentHandler(
      stage,
      async (_e: { runId: string }, t) => {
        t.logger.info('table done', { table: 'staff', rows: 20 });
        return fn();
      },
      { logger: createLogger(), metrics: createMetrics({ stage }) },
    );
    await handler({ runId }).catch(() => undefined);
  } finally {
    spies.forEach((s) => s.mockRestore());
  }
  return chunks
    .join('')
    .split('\n')
    .filter((l) => l.startsWith('{"level"'));
}

let logs: CloudWatchLogsClient;
let sns: SNSClient;
beforeAll(() => {
  useMotoCredentials();
  logs = new CloudWatchLogsClient({ endpoint: motoUrl(), region: 'eu-west-2' });
  sns = new SNSClient({ endpoint: motoUrl(), region: 'eu-west-2' });
});
afterAll(() => {
  logs.destroy();
  sns.destroy();
});
afterEach(() => clearRegisteredSecrets());

async function putLines(group: string, lines: string[]): Promise<void> {
  await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 's1' }));
  const now = Date.now();
  await logs.send(
    new PutLogEventsCommand({
      logGroupName: group,
      logStreamName: 's1',
      logEvents: lines.map((message, i) => ({ message, timestamp: now + i })),
    }),
  );
}

describe('tributary logs (moto CloudWatch Logs)', () => {
  const stack = uniqueName('st');
  const prefix = `/aws/lambda/tributary-${stack}-`;

  beforeAll(async () => {
    registerSecret(PASSWORD);
    const extract = await stageOutput('extract', async () => ({ ok: true }), 'run-a');
    const failing = await stageOutput(
      'transform',
      async () => {
        throw new Error(`cannot reach postgres://etl:${PASSWORD}@db/totesys`);
      },
      'run-a',
    );
    const other = await stageOutput('extract', async () => ({ ok: true }), 'run-b');
    expect(failing.join('\n')).not.toContain(PASSWORD);
    await putLines(`${prefix}extract`, [...extract, ...other]);
    await putLines(`${prefix}transform`, [...failing, 'Task timed out after 30.00 seconds']);
    clearRegisteredSecrets();
  });

  it('prints each run with its steps, row counts and redacted errors', async () => {
    const c = io();
    const code = await runLogsCommand(['--stack', stack, '--since', '1h', '--endpoint-url', motoUrl()], c.io);
    expect(c.err).toEqual([]);
    expect(code).toBe(0);
    const text = c.out.join('\n');
    expect(text).toMatch(/run run-a .* failed/);
    expect(text).toMatch(/extract\s+succeeded.*rows 20 \(1 tables\)/);
    expect(text).toMatch(/transform\s+failed/);
    expect(text).toContain('error: cannot reach postgres://etl:***@db/totesys');
    expect(text).toContain('run run-b');
    expect(text).toContain('Task timed out');
    expect(text).not.toContain(PASSWORD);
  });

  it('--run keeps one run', async () => {
    const c = io();
    expect(
      await runLogsCommand(['--stack', stack, '--run', 'run-b', '--endpoint-url', motoUrl()], c.io),
    ).toBe(0);
    const text = c.out.join('\n');
    expect(text).toContain('run run-b');
    expect(text).not.toContain('run-a');
  });

  it('an unknown run or a prefix with no groups exits 1 saying why', async () => {
    const a = io();
    expect(await runLogsCommand(['--stack', stack, '--run', 'nope', '--endpoint-url', motoUrl()], a.io)).toBe(
      1,
    );
    expect(a.err.join('')).toContain('no log events for run nope');
    const b = io();
    expect(await runLogsCommand(['--stack', uniqueName('none'), '--endpoint-url', motoUrl()], b.io)).toBe(1);
    expect(b.err.join('')).toContain('--log-group-prefix');
  });

  it('bad usage exits 2 naming the option', async () => {
    const a = io();
    expect(await runLogsCommand(['--stack', stack, '--frobnicate'], a.io)).toBe(2);
    expect(a.err.join('')).toContain('--frobnicate');
    const b = io();
    expect(await runLogsCommand(['--run', 'x'], b.io)).toBe(2);
    expect(b.err.join('')).toContain('--stack');
    const c = io();
    expect(await runLogsCommand(['--stack', stack, '--since', 'yesterday'], c.io)).toBe(2);
    expect(c.err.join('')).toContain('--since');
  });
});

describe('tributary alert test (moto SNS -> notifier -> local Slack)', () => {
  it('publishes to the stack topic found by name; the notifier turns it into a Slack post', async () => {
    const stack = uniqueName('al');
    // SNS delivers to an HTTP subscriber: our stand-in for the notifier's Lambda subscription.
    const received: string[] = [];
    const slackPosts: Array<Record<string, string>> = [];
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.url?.startsWith('/api/')) slackPosts.push(Object.fromEntries(new URLSearchParams(body)));
        else received.push(body);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true, ts: '1.2' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const topic = await sns.send(new CreateTopicCommand({ Name: `tributary-${stack}-alerts` }));
      await sns.send(
        new SubscribeCommand({
          TopicArn: topic.TopicArn,
          Protocol: 'http',
          Endpoint: `http://127.0.0.1:${port}/sns`,
        }),
      );
      const c = io();
      const code = await runAlertCommand(
        ['test', '--stack', stack, '--pipeline', 'totesys', '--message', 'ping', '--endpoint-url', motoUrl()],
        c.io,
      );
      expect(c.err).toEqual([]);
      expect(code).toBe(0);
      expect(c.out.join('')).toContain(topic.TopicArn);
      const notification = received
        .map((b) => JSON.parse(b) as { Type?: string; Message: string; Subject?: string })
        .find((n) => n.Type === 'Notification');
      expect(notification).toBeDefined();
      expect(JSON.parse(notification!.Message)).toEqual({
        kind: 'test',
        environment: stack,
        pipeline: 'totesys',
        message: 'ping',
      });

      const notify = createNotifier({
        channel: '#alerts',
        getToken: async () => 'xoxb-test-1',
        slackApiUrl: `http://127.0.0.1:${port}/api/`,
        retryConfig: { retries: 0 },
        links: { region: 'eu-west-2', logGroupPrefix: '/aws/lambda/tributary-{environment}-' },
      });
      await notify({
        Records: [{ Sns: { Message: notification!.Message, Subject: notification!.Subject } }],
      });
      expect(slackPosts).toHaveLength(1);
      expect(slackPosts[0].text).toBe(`:bell: Test alert from Tributary (${stack}, totesys): ping`);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('--direct posts to Slack with the token from a secret', async () => {
    const sm = new SecretsManagerClient({ endpoint: motoUrl(), region: 'eu-west-2' });
    const secret = await sm.send(
      new CreateSecretCommand({
        Name: uniqueName('slack'),
        SecretString: JSON.stringify({ token: 'xoxb-direct-7' }),
      }),
    );
    sm.destroy();
    const posts: Array<{ auth?: string; body: Record<string, string> }> = [];
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        posts.push({ auth: req.headers.authorization, body: Object.fromEntries(new URLSearchParams(body)) });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true, ts: '9.9' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const c = io();
      const args = [
        'test',
        '--stack',
        'dev',
        '--direct',
        '--slack-secret-arn',
        secret.ARN as string,
        '--channel',
        '#ops',
        '--slack-api-url',
        `http://127.0.0.1:${port}/api/`,
        '--endpoint-url',
        motoUrl(),
      ];
      expect(await runAlertCommand(args, c.io)).toBe(0);
      expect(c.out.join('')).toContain('posted to #ops (ts 9.9)');
      expect(posts).toHaveLength(1);
      expect(posts[0].auth).toBe('Bearer xoxb-direct-7');
      expect(posts[0].body.channel).toBe('#ops');
      expect(posts[0].body.text).toContain('Test alert from Tributary (dev): ');
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('a missing topic exits 1 naming it; a bad subcommand or option exits 2', async () => {
    const a = io();
    expect(
      await runAlertCommand(['test', '--stack', uniqueName('none'), '--endpoint-url', motoUrl()], a.io),
    ).toBe(1);
    expect(a.err.join('')).toMatch(/no SNS topic named tributary-none-\w+-alerts/);
    const b = io();
    expect(await runAlertCommand(['send', '--stack', 'x'], b.io)).toBe(2);
    expect(b.err.join('')).toContain('"test"');
    const c = io();
    expect(await runAlertCommand(['test', '--stack', 'x', '--direct'], c.io)).toBe(2);
    expect(c.err.join('')).toContain('--slack-secret-arn');
  });
});
