/**
 * `npm run rehearse [-- --stack dev|prod]`: executes each stack's deployed state machine
 * definitions offline with aws-local-stepfunctions (MIT), every Lambda Task run as the built
 * bundle (invoke.ts) against moto and embedded PostgreSQL, the alert published to the notifier
 * bundle, which posts to a local Slack API. Every AWS call goes through proxy.ts and is
 * authorized with pbac (checks.ts). Fails naming the execution, state, function or call on a failed
 * or unexpected execution, an alert that does not reach Slack with the run link, a denied call, an
 * unused grant, an unread environment variable, or a payload over its limit.
 *
 * Distributed Maps (ItemReader) run through item-reader.ts; the Recurly → Snowflake pipeline
 * against a local Recurly API and Snowflake endpoint through snowflake.ts.
 */
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../../runtime/cli/embedded';
import { seedTotesys } from '../../runtime/sources/postgres/seed';
import { factReferences } from '../../runtime/model/star';
import { TOTESYS_STAR } from '../../runtime/model/totesys/star';
import { startMoto } from '../../tests/support/moto';
import { FakeRedshiftData } from '../../tests/support/redshift-data-server';
import { invokeFunction, retireEnvironments, type InvocationResult } from './invoke';
import { runDistributedMap, withDistributedMapsAsTasks } from './item-reader';
import { deployedStack, type DeployedFunction, type DeployedStack } from './stack';
import type { ResourceCatalog } from './aws-calls';
import { authorizer, LAMBDA_PAYLOAD_LIMIT, payloadBytes, STATE_PAYLOAD_LIMIT, triage, unreadVariables, unusedGrants } from './checks';
import { startRecordingProxy, type RecordedCall, type RecordingProxy } from './proxy';
import { rehearseRestSnowflake } from './snowflake';

/** The part of aws-local-stepfunctions' API used here (its types are ESM-only; the package ships CommonJS too). */
interface LocalStateMachine {
  run(input: unknown, options: Record<string, unknown>): { result: Promise<unknown>; eventLogs: AsyncIterable<{ type: string; state?: { name: string }; Error?: string; Cause?: string }> };
}
// aws-local-stepfunctions 3 targets Node 22 (Promise.withResolvers); the repository runs on 20.
const promiseCtor = Promise as unknown as { withResolvers?: () => unknown };
promiseCtor.withResolvers ??= () => {
  let resolve!: (v: unknown) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { StateMachine } = require('aws-local-stepfunctions') as { StateMachine: new (definition: unknown, options?: Record<string, unknown>) => LocalStateMachine };

interface SlackPost {
  channel: string;
  text: string;
  blocks: string;
}

async function startSlack(): Promise<{ url: string; posts: SlackPost[]; stop: () => Promise<void> }> {
  const posts: SlackPost[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      const json = (() => {
        try {
          return JSON.parse(body) as Record<string, unknown>;
        } catch {
          return undefined;
        }
      })();
      const get = (k: string) => String(json?.[k] ?? form.get(k) ?? '');
      posts.push({ channel: get('channel'), text: get('text'), blocks: typeof json?.blocks === 'string' ? json.blocks : JSON.stringify(json?.blocks ?? form.get('blocks') ?? '') });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true, ts: `${Date.now() / 1000}` }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  return { url: `http://127.0.0.1:${addr.port}/api/`, posts, stop: () => new Promise((r) => server.close(() => r())) };
}

interface SnsNotification {
  MessageId: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
}

/** An HTTP subscriber of the alert topics: moto delivers every published message to it, as SNS does to the notifier. */
async function startSnsSubscriber(): Promise<{ url: string; take: () => SnsNotification[]; stop: () => Promise<void> }> {
  let received: SnsNotification[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      try {
        const n = JSON.parse(body) as SnsNotification & { Type?: string };
        if (n.Type === 'Notification') received.push(n);
      } finally {
        res.end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  const take = () => {
    const out = received;
    received = [];
    return out;
  };
  return { url: `http://127.0.0.1:${addr.port}/sns`, take, stop: () => new Promise((r) => server.close(() => r())) };
}

interface Services {
  motoUrl: string;
  pgAdminUrl: string;
  slack: Awaited<ReturnType<typeof startSlack>>;
  stop: () => Promise<void>;
}

/** moto (under the stack's account id), PostgreSQL (embedded, or the one given) and the Slack API. */
async function startServices(accountId: string, pgAdminUrl?: string): Promise<Services> {
  // The local Redshift Data API reads COPY's objects from moto with this process's credentials.
  process.env.AWS_ACCESS_KEY_ID ??= 'rehearsal';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'rehearsal';
  // Not through process.env: the stacks rehearse concurrently (main), each against its own account.
  const moto = await startMoto({ accountId });
  const dir = mkdtempSync(join(tmpdir(), 'rehearsal-pg-'));
  const stops: Array<() => Promise<void>> = [() => moto.stop()];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const pg = pgAdminUrl ? undefined : await startEmbeddedPostgres({ dataDir: join(dir, 'data'), password: 'rehearsal-pw' });
    if (pg) stops.push(() => pg.stop());
    const slack = await startSlack();
    stops.push(() => slack.stop());
    return { motoUrl: moto.url, pgAdminUrl: pgAdminUrl ?? pg!.adminUrl, slack, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function createDb(adminUrl: string, name: string): Promise<{ url: string; creds: Record<string, string | number> }> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return { url: u.toString(), creds: { host: u.hostname, port: Number(u.port), database: name, user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) } };
}

const fail = (msg: string): never => {
  throw new Error(msg);
};

interface ExecutionRecord {
  stack: string;
  stateMachine: string;
  name: string;
  outcome: string;
  states: string[];
}

/** What the state machine does as its role: its integrations' calls are recorded and authorized. */
interface MachineIdentity {
  readonly name: string;
  readonly arn: string;
  readonly roleArn: string;
  readonly proxy: RecordingProxy;
}

/** Fails the execution (as Step Functions would, with States.DataLimitExceeded) on a payload over a limit. */
function checkPayload(state: string, what: string, value: unknown, limit: number, service: string): void {
  const bytes = payloadBytes(value);
  if (bytes > limit) {
    const err = new Error(`state ${state}: ${what} is ${bytes} bytes, over ${service}'s ${limit / 1024} KB limit`);
    err.name = 'States.DataLimitExceeded';
    throw err;
  }
}

/** The state-machine side of each Task's integration, by Resource. */
function taskHandlers(definition: Record<string, unknown>, run: (fn: DeployedFunction, event: unknown) => Promise<InvocationResult>, fnByArn: Map<string, DeployedFunction>, publish: (input: Record<string, unknown>) => Promise<void>, visited: string[], machine: MachineIdentity, limitErrors: string[]) {
  const handlers: Record<string, (input: Record<string, unknown>) => Promise<unknown>> = {};
  const asMachine = (action: string, resource: string) => {
    const d = machine.proxy.record({ principal: machine.roleArn, caller: machine.name, service: action.split(':')[0], operation: action.split(':')[1], action, resource, context: { 'aws:SecureTransport': 'true' }, onBehalf: false });
    if (!d.allowed) {
      const err = new Error(`User: ${machine.roleArn} is not authorized to perform: ${action} on resource: ${resource} (${d.reason})`);
      err.name = 'AccessDeniedException';
      throw err;
    }
  };
  const walk = (states: Record<string, Record<string, unknown>>) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Map') walk(((state.ItemProcessor ?? state.Iterator) as { States: Record<string, Record<string, unknown>> }).States);
      if (state.Type !== 'Task') continue;
      const resource = String(state.Resource);
      handlers[name] = async (input) => {
        visited.push(name);
        return integrate(name, input).catch((err: Error) => {
          if (err.name === 'States.DataLimitExceeded') limitErrors.push(err.message);
          if (process.env.REHEARSAL_DEBUG) process.stderr.write(`  [${name}] ${err.name}: ${err.message}\n`);
          throw err;
        });
      };
      const integrate = async (name: string, input: Record<string, unknown>): Promise<unknown> => {
        checkPayload(name, 'the task input', input, STATE_PAYLOAD_LIMIT, 'Step Functions');
        if (resource === 'arn:aws:states:::lambda:invoke') {
          const fn = fnByArn.get(String(input.FunctionName)) ?? fail(`state ${name}: no function ${String(input.FunctionName)} in the stack`);
          asMachine('lambda:InvokeFunction', String(input.FunctionName));
          checkPayload(name, `the request to ${fn.name}`, input.Payload, LAMBDA_PAYLOAD_LIMIT, 'Lambda (synchronous invoke)');
          const out = await run(fn, input.Payload);
          if (!out.ok) {
            // As Step Functions reports a function error: Error = errorType, Cause = the error as JSON.
            const err = new Error(JSON.stringify({ errorType: out.error!.errorType, errorMessage: out.error!.errorMessage, trace: [] }));
            err.name = out.error!.errorType;
            throw err;
          }
          checkPayload(name, `the response of ${fn.name}`, out.payload, LAMBDA_PAYLOAD_LIMIT, 'Lambda (synchronous invoke)');
          const result = { ExecutedVersion: '$LATEST', Payload: out.payload, StatusCode: 200 };
          checkPayload(name, 'the task result', result, STATE_PAYLOAD_LIMIT, 'Step Functions');
          return result;
        }
        if (resource === 'arn:aws:states:::sns:publish') {
          await publish(input);
          return { MessageId: 'rehearsal' };
        }
        if (resource === 'arn:aws:states:::aws-sdk:sfn:listExecutions') {
          asMachine('states:ListExecutions', String(input.StateMachineArn ?? machine.arn));
          return { Executions: [{ status: 'RUNNING' }] };
        }
        return fail(`state ${name}: the rehearsal has no integration for ${resource}`);
      };
    }
  };
  walk(definition.States as Record<string, Record<string, unknown>>);
  return handlers;
}

/**
 * aws-local-stepfunctions 3.0.0's States.JsonToString does not escape the quotes of a nested
 * string (a Lambda error's Cause is JSON text), producing invalid JSON that AWS never sends.
 * `States.JsonToString(<path>)` as an SNS Message becomes `<path>` here, serialized by the
 * integration with JSON.stringify, which is what AWS's intrinsic does.
 */
function withJsonToStringWorkaround(definition: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(definition).replace(/"Message\.\$":"States\.JsonToString\((\$[^)"]*)\)"/g, '"Message.$":"$1"')) as Record<string, unknown>;
}

function zeroRetries(definition: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, state] of Object.entries(definition.States as Record<string, Record<string, unknown>>)) if (state.Retry) out[name] = 0;
  return out;
}

/**
 * Wait states at most 2 s here (aws-local-stepfunctions' waitTimeOverrides, in ms): the statement
 * poll waits 15 s between polls on AWS, which adds minutes per Redshift load and proves nothing
 * more; the loop and its poll bound run as deployed.
 */
function shortWaits(definition: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, state] of Object.entries(definition.States as Record<string, Record<string, unknown>>)) if (state.Type === 'Wait') out[name] = Math.min(Number(state.Seconds ?? 0), 2) * 1000;
  return out;
}

type Invocations = Map<string, Array<InvocationResult & { memoryMb: number; tmpMb: number }>>;

export interface StackRehearsal {
  readonly deployed: DeployedStack;
  readonly executions: ExecutionRecord[];
  readonly invocations: Invocations;
  readonly calls: RecordedCall[];
  /** Everything that makes the rehearsal fail, each naming its function, state or call. */
  readonly failures: string[];
  readonly justifiedGrants: Array<{ role: string; action: string; resource: string; reason: string }>;
  /** Findings listed in KNOWN_FINDINGS (defects with an owner, not failing here). */
  readonly known: Array<{ finding: string; why: string }>;
}

export interface RehearsalOptions {
  /** Changes the stack as captured (tests: remove a grant, rename a field a state reads). */
  readonly mutate?: (deployed: DeployedStack) => DeployedStack;
  /** Only these state machines (by name suffix); all by default. */
  readonly machines?: readonly string[];
  /** Only these executions (by name); all by default. */
  readonly executions?: readonly string[];
  /** A PostgreSQL server to use (jest's harness) instead of starting an embedded one. */
  readonly pgAdminUrl?: string;
}

/** Rows per backfill chunk in the rehearsal (REHEARSAL_CHUNK_ROWS overrides): see substitutionsFor. */
export const REHEARSAL_CHUNK_ROWS = 8000;

const accessKeyOf = (roleArn: string) => `rehearsal-${roleArn.split('/').pop()}`;

export async function rehearseStack(stack: string, options: RehearsalOptions = {}): Promise<StackRehearsal> {
  const captured: DeployedStack = await deployedStack(stack);
  const deployed = options.mutate ? options.mutate(captured) : captured;
  const services = await startServices(deployed.accountId, options.pgAdminUrl);
  const executions: ExecutionRecord[] = [];
  const invocations: Invocations = new Map();
  const failures: string[] = [];
  const envRead = new Map<string, Set<string>>();
  const exercisedRoles = new Set<string>();
  const motoArn = new Map<string, string>();
  const stackArnOfMoto = () => new Map([...motoArn].map(([stackArn, moto]) => [moto, stackArn]));
  const catalog: ResourceCatalog = {
    region: deployed.region,
    accountId: deployed.accountId,
    bucketEncryption: (bucket) => deployed.bucketEncryption.get(bucket),
    secret: (id) => {
      const stackArn = stackArnOfMoto().get(id) ?? deployed.secrets.find((x) => x.name === id || x.arn === id)?.arn ?? (motoArn.has(id) ? id : undefined);
      if (!stackArn) return undefined;
      const keyArn = deployed.secrets.find((x) => x.arn === stackArn)?.keyArn;
      return { arn: stackArn, ...(keyArn ? { keyArn } : {}) };
    },
    topicKey: (arn) => deployed.topicKeys.get(arn),
    // The workgroup or cluster ARN as the stack's own policies resolved it (the Data API authorizes on it).
    redshiftTarget: ({ WorkgroupName, ClusterIdentifier }) => {
      const arns = new Set<string>();
      for (const docs of deployed.rolePolicies.values())
        for (const d of docs)
          for (const st of ([] as Array<{ Action?: string | string[]; Resource?: string | string[] }>).concat(d.Statement as never))
            if (([] as string[]).concat(st.Action ?? []).includes('redshift-data:ExecuteStatement')) for (const r of ([] as string[]).concat(st.Resource ?? [])) arns.add(r);
      const wanted = [...arns].filter((a) => (WorkgroupName ? a.includes(':workgroup/') : ClusterIdentifier ? a.endsWith(`:cluster:${ClusterIdentifier}`) : false));
      return wanted.length === 1 ? wanted[0] : undefined;
    },
  };
  const routes = new Map<string, string>();
  const identities = new Map<string, { roleArn: string; caller: string }>();
  for (const fn of deployed.functions) identities.set(accessKeyOf(fn.roleArn), { roleArn: fn.roleArn, caller: fn.name });
  for (const m of deployed.stateMachines) identities.set(accessKeyOf(m.roleArn), { roleArn: m.roleArn, caller: m.name });
  const proxy = await startRecordingProxy({ target: services.motoUrl, catalog, identities, authorize: authorizer(deployed), routes });
  let stopSubscriber: (() => Promise<void>) | undefined;
  try {
    const aws = { region: deployed.region, endpoint: services.motoUrl, credentials: { accessKeyId: 'rehearsal', secretAccessKey: 'rehearsal' } };
    const s3 = new S3Client({ ...aws, forcePathStyle: true });
    for (const bucket of deployed.buckets) await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: deployed.region as 'eu-west-2' } }));
    const sns = new SNSClient(aws);
    // Functions publish alerts themselves (extract, load, reconcile): SNS delivers them to the notifier too.
    const subscriber = await startSnsSubscriber();
    stopSubscriber = subscriber.stop;
    for (const topic of deployed.topics) {
      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: topic }));
      await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'http', Endpoint: subscriber.url }));
    }
    const logs = new CloudWatchLogsClient(aws);
    for (const group of deployed.logGroups) await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
    const sm = new SecretsManagerClient(aws);
    for (const secret of deployed.secrets) {
      const created = await sm.send(new CreateSecretCommand({ Name: secret.name, ...(secret.writtenValue !== undefined ? { SecretString: secret.writtenValue } : {}) }));
      motoArn.set(secret.arn, created.ARN!);
    }
    const setSecret = async (arn: string, value: string) => {
      const id = motoArn.get(arn);
      if (!id) {
        // A secret the stack is given (an existing ARN in the stack config): created here by its name.
        const name = arn.split(':secret:')[1].replace(/-[A-Za-z0-9]{6}$/, '');
        motoArn.set(arn, (await sm.send(new CreateSecretCommand({ Name: name, SecretString: value }))).ARN!);
      } else await sm.send(new PutSecretValueCommand({ SecretId: id, SecretString: value }));
      // The functions that read it see the new value in their next environments (a warm one has it cached for minutes).
      retireEnvironments(new Set(deployed.functions.filter((f) => Object.values(f.environment).includes(arn)).map((f) => f.name)));
    };

    const functions = deployed.functions;
    const fnByArn = new Map(functions.map((f) => [f.arn, f]));
    const notifier = functions.find((f) => f.environment.TRIBUTARY_SLACK_SECRET_ARN) ?? fail('the stack has no notifier function');
    const pipelineSubstitutions = new Map<string, Record<string, string>>();
    const substitutionsFor = (fn: DeployedFunction): Record<string, string> => {
      // The function's secret ARNs are the stack's; moto named its copies itself.
      const secretArns = Object.fromEntries(Object.entries(fn.environment).filter(([, v]) => motoArn.has(v)).map(([k, v]) => [k, motoArn.get(v)!]));
      return {
        ...secretArns,
        AWS_ENDPOINT_URL: proxy.url,
        TRIBUTARY_S3_ENDPOINT: proxy.url,
        TRIBUTARY_SECRETS_ENDPOINT: proxy.url,
        TRIBUTARY_SNS_ENDPOINT: proxy.url,
        TRIBUTARY_SLACK_API_URL: services.slack.url,
        // Small enough that a run is transformed and loaded in several units (the step loops).
        TRIBUTARY_UNIT_ROWS: '5000',
        // The initial load is a backfill of several chunks through the Distributed Map
        // (item-reader.ts): 8,000 rows cut the seed's three largest tables (11,187 / 15,836 /
        // 15,836 rows) into two chunks each and leave the others to the extract that follows.
        TRIBUTARY_CHUNK_ROWS: process.env.REHEARSAL_CHUNK_ROWS ?? String(REHEARSAL_CHUNK_ROWS),
        // A pipeline's own local endpoints (the Recurly API for a REST source).
        ...pipelineSubstitutions.get(fn.name),
      };
    };
    const roleCredentials = (roleArn: string) => ({ accessKeyId: accessKeyOf(roleArn), secretAccessKey: 'rehearsal' });
    const streams = new Set<string>();
    const run = async (fn: DeployedFunction, event: unknown) => {
      exercisedRoles.add(fn.roleArn);
      const out = await invokeFunction(fn, event, substitutionsFor(fn), roleCredentials(fn.roleArn));
      invocations.set(fn.name, [...(invocations.get(fn.name) ?? []), { ...out, memoryMb: fn.memoryMb, tmpMb: fn.tmpMb }]);
      const read = envRead.get(fn.name) ?? new Set<string>();
      for (const k of out.envRead) read.add(k);
      envRead.set(fn.name, read);
      // Lambda delivers the function's output to its log group with the function's role (one
      // log stream per execution environment), and, with active tracing, its X-Ray daemon sends
      // the segments with that role too.
      const delivery = new CloudWatchLogsClient({ region: deployed.region, endpoint: proxy.url, credentials: roleCredentials(fn.roleArn) });
      const logStreamName = `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]rehearsal${out.environment}`;
      try {
        if (!streams.has(logStreamName)) await delivery.send(new CreateLogStreamCommand({ logGroupName: fn.logGroup, logStreamName }));
        streams.add(logStreamName);
        const lines = out.logs.split('\n').filter(Boolean).slice(-500);
        await delivery.send(new PutLogEventsCommand({ logGroupName: fn.logGroup, logStreamName, logEvents: (lines.length ? lines : ['(no output)']).map((message) => ({ timestamp: Date.now(), message })) }));
      } catch (err) {
        failures.push(`function ${fn.name}: Lambda's log delivery to ${fn.logGroup} failed: ${(err as Error).message}`);
      }
      if (fn.tracing)
        for (const action of ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'])
          proxy.record({ principal: fn.roleArn, caller: fn.name, service: 'xray', operation: action.split(':')[1], action, resource: '*', context: { 'aws:SecureTransport': 'true' }, onBehalf: true });
      return out;
    };
    let notifierError = '';
    // The state machine's alerts go to the notifier in publisher(); the functions' through the subscriber.
    const deliveredByMachine = new Set<string>();
    const deliverFunctionAlerts = async () => {
      for (const n of subscriber.take()) {
        if (deliveredByMachine.has(n.MessageId)) continue;
        const out = await run(notifier, { Records: [{ Sns: { Message: n.Message, Subject: n.Subject ?? '', MessageId: n.MessageId, TopicArn: n.TopicArn } }] });
        if (!out.ok) fail(`notifier ${notifier.name} failed on an alert a function published (${n.Subject ?? 'no subject'}): ${out.error!.errorType}: ${out.error!.errorMessage}`);
      }
    };
    const publisher = (machine: { name: string; roleArn: string }) => async (input: Record<string, unknown>) => {
      // The state machine publishes with its role (recorded and authorized by the proxy), then SNS
      // delivers the message to the notifier as an SNS event.
      const message = typeof input.Message === 'string' ? input.Message : JSON.stringify(input.Message);
      const client = new SNSClient({ region: deployed.region, endpoint: proxy.url, credentials: roleCredentials(machine.roleArn) });
      const published = await client.send(new PublishCommand({ TopicArn: String(input.TopicArn), Message: message, ...(input.Subject ? { Subject: String(input.Subject) } : {}) }));
      deliveredByMachine.add(published.MessageId ?? '');
      const out = await run(notifier, { Records: [{ Sns: { Message: message, Subject: String(input.Subject ?? ''), MessageId: published.MessageId ?? 'rehearsal', TopicArn: String(input.TopicArn) } }] });
      if (!out.ok) notifierError = `${out.error!.errorType}: ${out.error!.errorMessage}`;
      if (!out.ok) fail(`notifier ${notifier.name} failed on the state machine's alert: ${out.error!.errorType}: ${out.error!.errorMessage}`);
    };

    const pipelineFunctions = (machine: DeployedStack['stateMachines'][number]) => functions.filter((f) => f.arn.includes(`:function:${machine.name}-`));
    // Each function has only the variables it reads: the pipeline's are their union.
    const pipelineEnv = (machine: DeployedStack['stateMachines'][number]): Record<string, string> => Object.assign({}, ...pipelineFunctions(machine).map((f) => f.environment));
    const rehearseMachine = async (machine: DeployedStack['stateMachines'][number]): Promise<void> => {
      let stopRedshift: (() => Promise<void>) | undefined;
      try {
      const pipelineFns = pipelineFunctions(machine);
      const env = pipelineEnv(machine);
      const restSnowflake = env.TRIBUTARY_SOURCE_KIND === 'rest' && env.TRIBUTARY_WAREHOUSE_KIND === 'snowflake';
      if (!restSnowflake && (env.TRIBUTARY_SOURCE_KIND !== 'postgres' || !['postgres', 'redshift'].includes(env.TRIBUTARY_WAREHOUSE_KIND))) {
        process.stdout.write(`  ${machine.name}: skipped (${env.TRIBUTARY_SOURCE_KIND} → ${env.TRIBUTARY_WAREHOUSE_KIND} is not rehearsed yet)\n`);
        return;
      }
      // This pipeline's Slack posts (the machines of a stack run at once): alerts name the pipeline as "<name> (<environment>)".
      const postsSince = (n: number) => services.slack.posts.slice(n).filter((p) => p.text.includes(`${env.TRIBUTARY_PIPELINE} (`));
      exercisedRoles.add(machine.roleArn);
      const identity: MachineIdentity = { name: machine.name, arn: machine.arn, roleArn: machine.roleArn, proxy };
      const publish = publisher(machine);
      const machineS3 = new S3Client({ region: deployed.region, endpoint: proxy.url, forcePathStyle: true, credentials: roleCredentials(machine.roleArn) });
      const limitErrors: string[] = [];
      const execute = async (name: string, input: unknown, expect: 'SUCCEEDED' | 'FAILED') => {
        if (options.executions && !options.executions.includes(name)) return;
        checkPayload('(execution input)', `the input of ${name}`, input, STATE_PAYLOAD_LIMIT, 'Step Functions');
        const visited: string[] = [];
        const handlers = taskHandlers(machine.definition, run, fnByArn, publish, visited, identity, limitErrors);
        // Distributed Maps (ItemReader) run through item-reader.ts, their children as local state machines.
        const { definition: runnable, maps } = withDistributedMapsAsTasks(machine.definition);
        const runProcessor = (processor: Record<string, unknown>, child: unknown) =>
          new StateMachine(processor, { validationOptions: { checkPaths: false, checkArn: false } }).run(child, { overrides: { taskResourceLocalHandlers: handlers as never, retryIntervalOverrides: zeroRetries(processor) } }).result;
        // The ItemReader reads the chunk list as the state machine's role, through the recording
        // proxy: its s3:GetObject and the SSE-KMS Decrypt S3 makes for it are authorized.
        const getObject = async (bucket: string, key: string) => (await machineS3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
        // Children at most REHEARSAL_MAP_CONCURRENCY (default 2) at a time: this machine has a few cores, AWS gives each its own.
        const atOnce = Number(process.env.REHEARSAL_MAP_CONCURRENCY ?? 2);
        for (const [name, state] of Object.entries(maps)) {
          const local = { ...state, MaxConcurrency: Math.min(Number(state.MaxConcurrency ?? 0) || atOnce, atOnce) };
          handlers[name] = (mapInput) => {
            visited.push(name);
            return runDistributedMap(local, mapInput, { getObject, runProcessor }).catch((err: Error) => {
              if (process.env.REHEARSAL_DEBUG) process.stderr.write(`  [${name}] ${err.name}: ${err.message}\n`);
              throw err;
            });
          };
        }
        const sfn = new StateMachine(withJsonToStringWorkaround(runnable), { validationOptions: { checkPaths: false, checkArn: false } });
        const execution = sfn.run(input, {
          overrides: { taskResourceLocalHandlers: handlers as never, retryIntervalOverrides: zeroRetries(machine.definition), waitTimeOverrides: shortWaits(machine.definition) },
          context: { Execution: { Id: `${machine.arn.replace(':stateMachine:', ':execution:')}:${name}`, Input: input, StartTime: new Date().toISOString() }, StateMachine: { Id: machine.arn, Name: machine.name } } as never,
        });
        // The interpreter's event log names the state an execution failed in (a Choice or Pass reading a missing field too).
        // The first failed state is the cause (e.g. a Task timing out); the last is where the execution ended.
        let failedIn: { state: string; error: string } | undefined;
        let firstFailed: { state: string; error: string } | undefined;
        const events = (async () => {
          for await (const e of execution.eventLogs)
            if (e.type === 'StateFailed' && e.state) {
              failedIn = { state: e.state.name, error: `${e.Error}: ${String(e.Cause).slice(0, 200)}` };
              firstFailed ??= failedIn;
            }
        })();
        let outcome: string;
        try {
          await execution.result;
          outcome = 'SUCCEEDED';
        } catch (err) {
          const e = err as Error & { cause?: Error };
          outcome = `FAILED ${e.cause?.name ?? e.name}: ${(e.cause?.message ?? e.message).slice(0, 300)}`;
        }
        await events.catch(() => undefined);
        if (failedIn && !outcome.startsWith('SUCCEEDED')) outcome += ` [failed in state ${failedIn.state}: ${failedIn.error}]`;
        if (firstFailed && firstFailed !== failedIn && !outcome.startsWith('SUCCEEDED')) outcome += ` [first failed state ${firstFailed.state}: ${firstFailed.error}]`;
        executions.push({ stack, stateMachine: machine.name, name, outcome, states: visited });
        for (const e of limitErrors.splice(0)) failures.push(`execution ${name} of ${machine.name}: ${e}`);
        // Step Functions' X-Ray tracing sends the execution's segments with the state machine's role.
        for (const action of ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'])
          proxy.record({ principal: machine.roleArn, caller: machine.name, service: 'xray', operation: action.split(':')[1], action, resource: '*', context: { 'aws:SecureTransport': 'true' }, onBehalf: true });
        const status = outcome.startsWith('SUCCEEDED') ? 'SUCCEEDED' : 'FAILED';
        process.stdout.write(`  ${machine.name} ${name}: ${outcome} (tasks: ${visited.join(' → ')})\n`);
        await deliverFunctionAlerts();
        if (status !== expect) fail(`execution ${name} of ${machine.name} ended ${outcome} after task ${visited.at(-1) ?? '(none)'} (expected ${expect})`);
      };

      if (restSnowflake) {
        // Recurly API and Snowflake endpoint on 127.0.0.1 (scripts/rehearse/snowflake.ts).
        await rehearseRestSnowflake({
          machineName: machine.name,
          environment: env,
          scheduleInput: machine.scheduleInputs[0] ?? {},
          s3,
          setSecret,
          substitute: (vars) => {
            for (const fn of pipelineFns) pipelineSubstitutions.set(fn.name, vars);
          },
          execute,
          ran: (name) => !options.executions || options.executions.includes(name),
          slackPosts: () => postsSince(0),
          notifierError: () => notifierError,
          calls: () => proxy.calls,
        });
        return;
      }
      const db = machine.name.replace(/-/g, '_');
      const source = await createDb(services.pgAdminUrl, `${db}_source`);
      const warehouse = await createDb(services.pgAdminUrl, `${db}_warehouse`);
      await seedTotesys({ sourceUrl: source.url });
      // As docs/deploy.md tells the operator: {host, port, database, user, password}.
      await setSecret(env.TRIBUTARY_SOURCE_SECRET_ARN, JSON.stringify(source.creds));
      // Redshift: the local Data API endpoint runs the statements on this database and COPYs from moto.
      let redshift: FakeRedshiftData | undefined;
      if (env.TRIBUTARY_WAREHOUSE_KIND === 'redshift') {
        redshift = await new FakeRedshiftData(warehouse.url, services.motoUrl, { workgroup: env.TRIBUTARY_REDSHIFT_WORKGROUP, clusterIdentifier: env.TRIBUTARY_REDSHIFT_CLUSTER, database: env.TRIBUTARY_REDSHIFT_DATABASE }).start();
        routes.set('redshift-data', redshift.url);
        stopRedshift = () => redshift!.stop();
      } else await setSecret(env.TRIBUTARY_WAREHOUSE_SECRET_ARN, JSON.stringify(warehouse.creds));
      const warehouseCounts = async () => {
        const c = new Client({ connectionString: warehouse.url });
        await c.connect();
        try {
          const facts = ['fact_sales_order', 'fact_purchase_order', 'fact_payment'];
          const out: Record<string, number> = {};
          for (const t of facts) out[t] = Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${t}`)).rows[0].n);
          return out;
        } finally {
          await c.end();
        }
      };

      const scheduled = machine.scheduleInputs[0] ?? {};
      const ran = (name: string) => !options.executions || options.executions.includes(name);
      await execute('initial-load', scheduled, 'SUCCEEDED');
      const first = await warehouseCounts();
      const want = { fact_sales_order: 11187, fact_purchase_order: 4649, fact_payment: 15836 };
      if (ran('initial-load') && JSON.stringify(first) !== JSON.stringify(want)) fail(`initial load of ${machine.name}: warehouse facts ${JSON.stringify(first)}, the direct run loads ${JSON.stringify(want)}`);
      // At TRIBUTARY_UNIT_ROWS 5,000 the initial run has several transform units: the Map must have fanned them out.
      const fanned = [...executions].reverse().find((e) => e.stateMachine === machine.name && e.name === 'initial-load')?.states.filter((t) => t === 'TransformUnit').length ?? 0;
      if (ran('initial-load') && fanned < 2) fail(`initial load of ${machine.name}: ${fanned} TransformUnit invocations; the run's transform units were not fanned out`);
      await execute('no-change', scheduled, 'SUCCEEDED');
      if (JSON.stringify(await warehouseCounts()) !== JSON.stringify(first)) fail(`no-change run of ${machine.name} changed the warehouse`);

      // A step that fails after its retries: the warehouse refuses the login.
      const posts = postsSince(0).length;
      if (redshift) {
        // Every statement refused (a revoked grant): the load fails whether or not there is new data.
        redshift.fail = () => 'permission denied for schema public';
        await execute('load-fails', scheduled, 'FAILED');
        redshift.fail = () => undefined;
      } else {
        await setSecret(env.TRIBUTARY_WAREHOUSE_SECRET_ARN, JSON.stringify({ ...warehouse.creds, password: 'wrong-password' }));
        await execute('load-fails', scheduled, 'FAILED');
        await setSecret(env.TRIBUTARY_WAREHOUSE_SECRET_ARN, JSON.stringify(warehouse.creds));
      }
      if (ran('load-fails')) {
      const alert = postsSince(posts).find((p) => p.text.includes(' failed at '));
      if (!alert) fail(`load-fails of ${machine.name}: no alert reached Slack (${postsSince(posts).length} posts)${notifierError ? `; the notifier ${notifier.name} failed: ${notifierError}` : ''}`);
      if (process.env.REHEARSAL_DEBUG) process.stderr.write(`  [slack] ${JSON.stringify(alert)}\n`);
      if (!/console\.aws\.amazon\.com\/states\/.*execution/.test(`${alert!.text} ${alert!.blocks}`)) fail(`load-fails of ${machine.name}: the Slack alert has no link to the run: ${alert!.text.slice(0, 200)}`);
      }

      const reconcileInput = machine.scheduleInputs.find((i) => (i as { mode?: string }).mode === 'reconcile');
      if (reconcileInput && ran('reconcile')) {
        // Drift for the reconcile run to find and repair: payments the warehouse lost.
        const c = new Client({ connectionString: warehouse.url });
        await c.connect();
        const lost = (await c.query<{ id: number }>('DELETE FROM fact_payment WHERE payment_id IN (SELECT payment_id FROM fact_payment ORDER BY payment_id LIMIT 3) RETURNING payment_id AS id')).rows.map((r) => r.id);
        await execute('reconcile', reconcileInput, 'SUCCEEDED');
        const back = (await c.query<{ n: string }>('SELECT count(DISTINCT payment_id) AS n FROM fact_payment WHERE payment_id = ANY($1)', [lost])).rows[0].n;
        await c.end();
        if (Number(back) !== lost.length) fail(`reconcile of ${machine.name}: ${lost.length - Number(back)} of the payments removed from the warehouse were not repaired`);
      }

      if (ran('schema-drift')) {
        // A retyped source column: extract stops that table, publishes a data-quality alert itself, the others continue.
        const src = new Client({ connectionString: source.url });
        await src.connect();
        const publishes = () => proxy.calls.filter((c) => c.action === 'sns:Publish' && c.caller === `${machine.name}-extract`).length;
        const before = publishes();
        try {
          await src.query('ALTER TABLE design ALTER COLUMN file_name TYPE varchar(200)');
          await execute('schema-drift', scheduled, 'SUCCEEDED');
        } finally {
          await src.query('ALTER TABLE design ALTER COLUMN file_name TYPE text');
          await src.end();
        }
        if (publishes() === before) fail(`schema-drift of ${machine.name}: the extract function published no data-quality alert`);
      }

      if (ran('data-test-breach')) {
        // The warehouse lost a design (dim_design) that loaded sales facts reference, and another
        // design changes in the source: the next run loads that one only (dim_design is built from
        // the run's designs; the reference dimensions are rebuilt whole from their current tables,
        // which would repair a lost row), after which the data tests find the dangling facts. Load
        // publishes the data-quality alert itself and SNS delivers it to the notifier.
        const fact = TOTESYS_STAR.facts.find((f) => f.name === 'fact_sales_order') ?? fail('the totesys model has no fact_sales_order');
        const ref = factReferences(TOTESYS_STAR, fact).find((r) => r.dim === 'dim_design') ?? fail('fact_sales_order references no dim_design');
        const wh = new Client({ connectionString: warehouse.url });
        await wh.connect();
        const lost = await wh.query<{ id: number }>(`DELETE FROM ${ref.dim} WHERE ${ref.key} = (SELECT max(${ref.column}) FROM ${fact.name}) RETURNING ${ref.key} AS id`);
        await wh.end();
        if (lost.rowCount !== 1) fail(`data-test-breach of ${machine.name}: no ${ref.dim} row to remove`);
        const src = new Client({ connectionString: source.url });
        await src.connect();
        // A new value, not only a new last_updated: an upsert that changes nothing leaves the data tests undue.
        const changed = await src.query(`UPDATE design SET design_name = design_name || ' (renamed)', last_updated = now() WHERE design_id = (SELECT min(design_id) FROM design WHERE design_id <> $1)`, [lost.rows[0].id]);
        await src.end();
        if (changed.rowCount !== 1) fail(`data-test-breach of ${machine.name}: no other design to change`);
        const loadPublishes = () => proxy.calls.filter((c) => c.action === 'sns:Publish' && c.caller === `${machine.name}-load`).length;
        const [before, posts] = [loadPublishes(), postsSince(0).length];
        await execute('data-test-breach', scheduled, 'SUCCEEDED');
        if (loadPublishes() === before) fail(`data-test-breach of ${machine.name}: the load function published no data-quality alert`);
        const check = `${ref.column} references ${ref.dim}`;
        const alert = postsSince(posts).find((p) => p.text.includes('data-quality checks failed') && p.blocks.includes(check));
        if (!alert) fail(`data-test-breach of ${machine.name}: no Slack post names the failed check "${check}" (${postsSince(posts).length} posts)`);
      }
      } finally {
        await stopRedshift?.();
      }
    };
    const machines = deployed.stateMachines.filter((machine) => !options.machines || options.machines.some((m) => machine.name.endsWith(m)));
    // A stack's pipelines have their own databases, secrets, buckets and local endpoints, so their
    // machines run at once (most of an execution waits on one Lambda child or a local service);
    // two that share a secret the rehearsal rewrites (load-fails) would not, so they run in turn.
    const secretsOf = (machine: (typeof machines)[number]) => Object.entries(pipelineEnv(machine)).filter(([k]) => k.endsWith('_SECRET_ARN') && k !== 'TRIBUTARY_SLACK_SECRET_ARN').map(([, v]) => v);
    const shared = machines.some((a, i) => machines.slice(i + 1).some((b) => secretsOf(a).some((x) => secretsOf(b).includes(x))));
    if (process.env.REHEARSAL_SEQUENTIAL || shared) {
      for (const machine of machines) await rehearseMachine(machine).catch((err: Error) => failures.push(err.message));
    } else {
      const settled = await Promise.allSettled(machines.map(rehearseMachine));
      for (const s of settled) if (s.status === 'rejected') failures.push((s.reason as Error).message);
    }
  } finally {
    retireEnvironments(new Set(deployed.functions.map((f) => f.name)));
    await stopSubscriber?.();
    await proxy.stop();
    await services.stop();
  }
  for (const c of proxy.calls) if (!c.decision.allowed) failures.push(`denied: ${c.caller} ${c.action} on ${c.resource}${c.onBehalf ? ' (made by AWS for it)' : ''} (${c.operation}): ${c.decision.reason}`);
  const grants = unusedGrants(deployed, proxy.calls, exercisedRoles);
  for (const g of grants.unused) failures.push(`unused grant: role ${g.role.split('/').pop()} statement ${g.sid} allows ${g.action} on ${g.resource}, which no call of the rehearsal used`);
  for (const fn of deployed.functions) {
    const read = envRead.get(fn.name);
    if (!read) continue;
    for (const k of unreadVariables(fn.environment, read)) failures.push(`function ${fn.name}: environment variable ${k} is set by the stack and never read by its bundle`);
    // snowflake-sdk reads its SF_OCSP_* settings when it is loaded (and probed STS and cloud metadata
    // on load before runtime/warehouse/snowflake/kind.ts turned that off): only a Snowflake load may load it.
    const sdk = [...read].filter((k) => k.startsWith('SF_OCSP_'));
    const opensSnowflake = fn.environment.TRIBUTARY_WAREHOUSE_KIND === 'snowflake' && fn.name.endsWith('-load');
    if (sdk.length && !opensSnowflake) failures.push(`function ${fn.name}: its bundle loaded snowflake-sdk (read ${sdk.join(', ')}), which its pipeline never uses`);
    if (opensSnowflake && !sdk.length) failures.push(`function ${fn.name}: opened Snowflake without snowflake-sdk reading its SF_OCSP_* settings: the check above cannot tell whether other functions load it`);
  }
  const { failing, known } = triage(failures, undefined, !options.machines && !options.executions && !options.mutate, stack);
  return { deployed, executions, invocations, calls: proxy.calls, failures: failing, justifiedGrants: grants.justified, known };
}

function printSummary(r: StackRehearsal): void {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const unexpected = r.failures.some((f) => f.startsWith('execution '));
  out(`  executions: ${r.executions.length} (${r.executions.map((e) => `${e.stateMachine.split('-').slice(2).join('-')} ${e.name} ${e.outcome.split(' ')[0]}`).join(', ')}) — ${unexpected ? 'NOT all as expected' : 'all as expected'}`);
  const byCaller = new Map<string, RecordedCall[]>();
  for (const c of r.calls) byCaller.set(c.caller, [...(byCaller.get(c.caller) ?? []), c]);
  out(`  caller                                 calls  denied  actions`);
  for (const [caller, calls] of [...byCaller].sort()) {
    const actions = new Map<string, number>();
    for (const c of calls) actions.set(c.action, (actions.get(c.action) ?? 0) + 1);
    const denied = calls.filter((c) => !c.decision.allowed).length;
    out(`  ${caller.padEnd(38)} ${String(calls.length).padStart(5)}  ${String(denied).padStart(6)}  ${[...actions].map(([a, n]) => `${a}×${n}`).join(' ')}`);
  }
  const denied = r.calls.filter((c) => !c.decision.allowed).length;
  const unused = r.failures.filter((f) => f.startsWith('unused grant')).length;
  const knownUnused = r.known.filter((k) => k.finding.startsWith('unused grant')).length;
  out(`  denied calls: ${denied}; unused grants: ${unused} new, ${knownUnused} known (below); justified as not exercisable offline: ${r.justifiedGrants.length}`);
  for (const g of r.justifiedGrants) out(`    - ${g.role.split('/').pop()} ${g.action} on ${g.resource}: ${g.reason}`);
  if (r.known.length) out(`  known findings, not fixed on this branch (KNOWN_FINDINGS in scripts/rehearse/checks.ts):`);
  for (const k of r.known) out(`    - ${k.finding.replace(/, which no call of the rehearsal used$/, '').replace(/ is set by the stack and never read by its bundle$/, ' unread')} — ${k.why}`);
  out(`  function                               calls  init ms  peak RSS / memory   peak /tmp / limit`);
  for (const [name, runs] of r.invocations) {
    const init = Math.max(...runs.map((x) => x.initMs));
    const rss = Math.max(...runs.map((x) => x.peakRssMb));
    const tmp = Math.max(...runs.map((x) => x.peakTmpBytes));
    out(`  ${name.padEnd(38)} ${String(runs.length).padStart(5)}  ${init.toFixed(0).padStart(7)}  ${rss.toFixed(0).padStart(5)} / ${runs[0].memoryMb} MB   ${(tmp / 1024 / 1024).toFixed(1).padStart(6)} / ${runs[0].tmpMb} MB`);
  }
}

/**
 * Both stacks at once by default, in this process, sharing one embedded PostgreSQL (their
 * databases are named after their state machines, which carry the stack's name); each has its
 * own moto (its own account), proxy and local endpoints. Most of a rehearsal is one Lambda child
 * at a time or a wait on a local service, so two overlap on a 2-core machine: `npm test` stays
 * under its 10 minutes. REHEARSAL_SEQUENTIAL=1 runs them one after the other (for debugging,
 * whose output is then not interleaved). Execution lines name their state machine, hence their stack.
 */
async function main(): Promise<void> {
  const i = process.argv.indexOf('--stack');
  const stacks = i > 0 ? [process.argv[i + 1]] : ['dev', 'prod'];
  const started = Date.now();
  let failed = false;
  let pg: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
  let pgDir: string | undefined;
  if (stacks.length > 1) {
    pgDir = mkdtempSync(join(tmpdir(), 'rehearsal-pg-'));
    pg = await startEmbeddedPostgres({ dataDir: join(pgDir, 'data'), password: 'rehearsal-pw' });
  }
  const rehearse = async (stack: string): Promise<{ stack: string; result?: StackRehearsal; error?: unknown; seconds: number }> => {
    const t0 = Date.now();
    process.stdout.write(`rehearsal of stack ${stack}: started\n`);
    try {
      const result = await rehearseStack(stack, pg ? { pgAdminUrl: pg.adminUrl } : {});
      return { stack, result, seconds: (Date.now() - t0) / 1000 };
    } catch (error) {
      return { stack, error, seconds: (Date.now() - t0) / 1000 };
    }
  };
  let outcomes: Array<Awaited<ReturnType<typeof rehearse>>> = [];
  try {
    if (process.env.REHEARSAL_SEQUENTIAL) for (const stack of stacks) outcomes.push(await rehearse(stack));
    else outcomes = await Promise.all(stacks.map(rehearse));
  } finally {
    await pg?.stop().catch(() => undefined);
    if (pgDir) rmSync(pgDir, { recursive: true, force: true });
  }
  for (const { stack, result, error, seconds } of outcomes) {
    process.stdout.write(`rehearsal of stack ${stack} (${seconds.toFixed(0)} s):\n`);
    if (result) {
      printSummary(result);
      if (result.failures.length) {
        failed = true;
        process.stdout.write(`REHEARSAL FAILED (${stack}), ${result.failures.length} finding(s):\n${result.failures.map((f) => `  - ${f}`).join('\n')}\n`);
      }
    } else {
      failed = true;
      process.stdout.write(`REHEARSAL FAILED (${stack}): ${error instanceof Error ? error.message : String(error)}\n`);
    }
  }
  process.stdout.write(`rehearsal of ${stacks.join(' and ')}: ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  process.exit(failed ? 1 : 0);
}

if (require.main === module)
  main().catch((err: unknown) => {
    process.stdout.write(`REHEARSAL FAILED: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
