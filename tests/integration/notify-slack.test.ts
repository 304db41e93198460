import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createNotifier, handler, type SnsEvent } from '../../runtime/handlers/notify';
import { clearSecretCache } from '../../runtime/config/secrets';
import { clearRegisteredSecrets } from '../../runtime/telemetry/redact';
import { motoUrl, uniqueName, useMotoCredentials } from '../support/services';

const TOKEN = 'xoxb-1111-2222-known-token';
const EXEC = 'arn:aws:states:eu-west-2:123456789012:execution:tributary-dev-totesys:run-77';

interface Call {
  auth: string | undefined;
  body: Record<string, unknown>;
  at: number;
}

/** A stand-in for slack.com/api: each request gets the next scripted reply. */
async function startSlack(
  replies: Array<(res: ServerResponse) => void>,
): Promise<{ url: string; calls: Call[]; close: () => Promise<void> }> {
  const calls: Call[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      const type = req.headers['content-type'] ?? '';
      const body = type.includes('json')
        ? (JSON.parse(data) as Record<string, unknown>)
        : Object.fromEntries(new URLSearchParams(data));
      calls.push({ auth: req.headers.authorization, body, at: Date.now() });
      const reply = replies[Math.min(calls.length - 1, replies.length - 1)];
      reply(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/api/`,
    calls,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const ok = (res: ServerResponse): void => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ ok: true, channel: 'C1', ts: '1731664800.000100' }));
};
const rateLimited = (res: ServerResponse): void => {
  res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' });
  res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
};
const invalidAuth = (res: ServerResponse): void => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ ok: false, error: 'invalid_auth' }));
};

function snsEvent(message: unknown): SnsEvent {
  return {
    Records: [
      { Sns: { Message: typeof message === 'string' ? message : JSON.stringify(message), MessageId: 'm-1' } },
    ],
  };
}

const failure = {
  pipeline: 'totesys',
  environment: 'dev',
  step: 'Load',
  runId: 'run-77',
  executionArn: EXEC,
  error: 'States.TaskFailed',
  cause: JSON.stringify({ errorType: 'WarehouseError', errorMessage: 'duplicate key in fact_sales_order' }),
};

/** Captures the notifier's structured logs (stdout and stderr). */
function captureOutput(): { text: () => string; restore: () => void } {
  const chunks: string[] = [];
  const sink = (chunk: string | Uint8Array): boolean => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(sink),
    jest.spyOn(process.stderr, 'write').mockImplementation(sink),
  ];
  return { text: () => chunks.join(''), restore: () => spies.forEach((s) => s.mockRestore()) };
}

const fast = { retries: 1, factor: 1, minTimeout: 10, maxTimeout: 20 };
const links = { region: 'eu-west-2', logGroupPrefix: '/aws/lambda/tributary-{environment}-{pipeline}-' };

let output: ReturnType<typeof captureOutput>;
beforeEach(() => {
  output = captureOutput();
});
afterEach(() => {
  output.restore();
  clearRegisteredSecrets();
});

describe('notifier against a local Slack API', () => {
  it('posts a step failure with its fields and console links, token as bearer', async () => {
    const slack = await startSlack([ok]);
    try {
      const notify = createNotifier({
        channel: '#tributary-dev',
        getToken: async () => TOKEN,
        slackApiUrl: slack.url,
        retryConfig: fast,
        links,
      });
      await notify(snsEvent(failure));
      expect(slack.calls).toHaveLength(1);
      const [call] = slack.calls;
      expect(call.auth).toBe(`Bearer ${TOKEN}`);
      expect(call.body.channel).toBe('#tributary-dev');
      expect(String(call.body.text)).toContain('totesys (dev) failed at Load, run run-77');
      expect(String(call.body.text)).toContain('duplicate key in fact_sales_order');
      const blocks =
        typeof call.body.blocks === 'string' ? call.body.blocks : JSON.stringify(call.body.blocks);
      expect(blocks).toContain('states/home?region=eu-west-2#/v2/executions/details/');
      expect(blocks).toContain('log-group/$252Faws$252Flambda$252Ftributary-dev-totesys-load');
      expect(output.text()).toContain('"message":"alert posted"');
    } finally {
      await slack.close();
    }
  });

  it('waits out a 429 Retry-After, then delivers', async () => {
    const slack = await startSlack([rateLimited, ok]);
    try {
      const notify = createNotifier({
        channel: 'C1',
        getToken: async () => TOKEN,
        slackApiUrl: slack.url,
        retryConfig: fast,
        links,
      });
      await notify(snsEvent(failure));
      expect(slack.calls).toHaveLength(2);
      expect(slack.calls[1].at - slack.calls[0].at).toBeGreaterThanOrEqual(950);
    } finally {
      await slack.close();
    }
  });

  it('invalid token: logs, drops the cached token, throws so SNS retries; no token in the logs', async () => {
    const slack = await startSlack([invalidAuth]);
    try {
      const onAuthFailure = jest.fn();
      const notify = createNotifier({
        channel: 'C1',
        getToken: async () => TOKEN,
        onAuthFailure,
        slackApiUrl: slack.url,
        retryConfig: fast,
        links,
      });
      await expect(notify(snsEvent(failure))).rejects.toThrow('invalid_auth');
      expect(slack.calls).toHaveLength(1); // a platform error is not retried in-process
      expect(onAuthFailure).toHaveBeenCalledTimes(1);
      const text = output.text();
      expect(text).toContain('"message":"alert not delivered"');
      expect(text).toContain('"reason":"auth"');
      expect(text).not.toContain(TOKEN);
    } finally {
      await slack.close();
    }
  });

  it('Slack down: throws "unreachable" after the configured retries, logged as unavailable', async () => {
    const slack = await startSlack([ok]);
    await slack.close(); // nothing listens on the port any more
    const notify = createNotifier({
      channel: 'C1',
      getToken: async () => TOKEN,
      slackApiUrl: slack.url,
      retryConfig: fast,
      links,
    });
    await expect(notify(snsEvent(failure))).rejects.toThrow(/Slack unreachable/);
    expect(output.text()).toContain('"reason":"unavailable"');
  });

  it('the Lambda handler reads the token from Secrets Manager (moto) and posts to the configured channel', async () => {
    useMotoCredentials();
    const sm = new SecretsManagerClient({ endpoint: motoUrl(), region: 'eu-west-2' });
    const secret = await sm.send(
      new CreateSecretCommand({ Name: uniqueName('slack'), SecretString: JSON.stringify({ token: TOKEN }) }),
    );
    const slack = await startSlack([ok]);
    const saved = { ...process.env };
    try {
      process.env.AWS_ENDPOINT_URL = motoUrl();
      process.env.TRIBUTARY_SLACK_SECRET_ARN = secret.ARN;
      process.env.TRIBUTARY_SLACK_CHANNEL = '#alerts-dev';
      process.env.TRIBUTARY_SLACK_API_URL = slack.url;
      await handler(snsEvent({ kind: 'test', environment: 'dev', message: 'hello from the test' }));
      expect(slack.calls).toHaveLength(1);
      expect(slack.calls[0].auth).toBe(`Bearer ${TOKEN}`);
      expect(slack.calls[0].body.channel).toBe('#alerts-dev');
      expect(String(slack.calls[0].body.text)).toContain('hello from the test');
    } finally {
      process.env = saved;
      clearSecretCache();
      sm.destroy();
      await slack.close();
    }
  });
});
