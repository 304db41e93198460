/**
 * Runs the Pulumi program (`stacks/index.ts`) for one stack under `pulumi.runtime.setMocks` and
 * returns every resource it registers. Shared by the infra tests and the policy check.
 *
 * Usage (jest or a plain `tsx` script alike):
 *
 *   import { captureStack } from '../support/pulumiMocks';
 *   const resources = await captureStack('dev');          // CapturedResource[]
 *   const run = await captureStackRun('prod');            // { resources, outputs }
 *
 * Stable contract:
 * - `captureStack(stack: 'dev' | 'prod', options?)` → `Promise<CapturedResource[]>`, one entry per
 *   registered resource (the AWS provider and the components included), in registration order.
 * - `CapturedResource`: `type` (e.g. `aws:s3/bucket:Bucket`), `name`, `urn`, `parent` (the parent's
 *   URN, absent at top level), `custom` (false for components), `provider` (provider reference,
 *   `<urn>::<id>`), `inputs` (what the program passed, outputs resolved, JSON values; secrets as
 *   their plain value) and `outputs` (what the mock returned: inputs plus a fabricated id/arn/name).
 * - Config comes from `Pulumi.yaml` (project config) and `Pulumi.<stack>.yaml`. Secrets that a
 *   stack file cannot hold in clear here (`tributary:slackBotToken`) are filled with a fake value,
 *   marked secret; `options.config` overrides keys (value `undefined` removes the key), e.g. to
 *   test validation errors.
 *
 * Each call runs the program in a fresh child process (`node --import tsx`, ~2 s): Pulumi's
 * runtime state is process-global, so dev and prod cannot share one module registry, and a child
 * works the same from jest and from a script. Run in this file's own `main` below.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type * as Pulumi from '@pulumi/pulumi';

export type StackName = 'dev' | 'prod';

export interface CapturedResource {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly parent?: string;
  readonly custom: boolean;
  readonly provider?: string;
  readonly inputs: Record<string, unknown>;
  readonly outputs: Record<string, unknown>;
}

export interface CapturedStack {
  readonly stack: string;
  readonly resources: CapturedResource[];
  /** The program's exports (stack outputs), resolved. */
  readonly outputs: Record<string, unknown>;
}

export interface CaptureOptions {
  /** Config overrides, full keys (`tributary:region`); `undefined` removes the key. */
  readonly config?: Readonly<Record<string, string | undefined>>;
  /** Repository root (defaults to this repository). */
  readonly rootDir?: string;
  /** Folder of the Pulumi project, relative to the root: `.` (default) or `bootstrap`. */
  readonly projectDir?: string;
}

export const PROJECT = 'tributary';
const ROOT = resolve(__dirname, '..', '..');

/** Placeholders for secrets a committed stack file cannot hold in clear. */
const FAKE_SECRETS: Readonly<Record<string, string>> = { 'tributary:slackBotToken': 'xoxb-mock-slack-token' };

export interface StackConfigFiles {
  /** Full key → value as the Pulumi CLI would hand it to the program (objects as JSON text). */
  readonly config: Record<string, string>;
  readonly secretKeys: string[];
}

/** Reads `Pulumi.yaml` and `Pulumi.<stack>.yaml` into the flat config map the CLI would set. */
export function loadStackConfig(stack: string, rootDir: string = ROOT, overrides: CaptureOptions['config'] = {}, projectDir = '.'): StackConfigFiles {
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  const put = (key: string, value: unknown): void => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && 'secure' in value) {
      config[key] = FAKE_SECRETS[key] ?? `mock-secret-${key}`;
      secretKeys.push(key);
    } else {
      config[key] = typeof value === 'string' ? value : JSON.stringify(value);
    }
  };
  const dir = join(rootDir, projectDir);
  const project = parseYaml(readFileSync(join(dir, 'Pulumi.yaml'), 'utf8')) as { name?: string; config?: Record<string, unknown> };
  for (const [key, spec] of Object.entries(project.config ?? {})) {
    if (spec !== null && typeof spec === 'object' && 'value' in spec) put(key, (spec as { value: unknown }).value);
  }
  const stackFile = join(dir, `Pulumi.${stack}.yaml`);
  if (!existsSync(stackFile)) throw new Error(`no stack file ${stackFile}`);
  const parsed = parseYaml(readFileSync(stackFile, 'utf8')) as { config?: Record<string, unknown> } | null;
  for (const [key, value] of Object.entries(parsed?.config ?? {})) put(key, value);
  for (const [key, value] of Object.entries(FAKE_SECRETS)) {
    if (project.name === PROJECT && !(key in config)) {
      config[key] = value;
      secretKeys.push(key);
    }
  }
  for (const [key, value] of Object.entries(overrides ?? {})) {
    if (value === undefined) delete config[key];
    else config[key] = value;
  }
  return { config, secretKeys: secretKeys.filter((k) => k in config) };
}

/** Runs one stack in a child process; resolves with its resources and outputs. */
/**
 * Captures of this repository's own program, by stack and config, as JSON text (each caller gets
 * its own copy): one process that captures a stack several times (tests/rehearse/mutations.test.ts
 * rehearses dev three times) runs the program once. The repository's sources do not change while
 * a process runs; captures of another root (tests that write a program) are never cached.
 */
const captures = new Map<string, Promise<string>>();

export function captureStackRun(stack: StackName | string, options: CaptureOptions = {}): Promise<CapturedStack> {
  const rootDir = options.rootDir ?? ROOT;
  const projectDir = options.projectDir ?? '.';
  const files = loadStackConfig(stack, rootDir, options.config, projectDir);
  if (resolve(rootDir) !== resolve(ROOT)) return runCapture(stack, rootDir, projectDir, files).then((text) => JSON.parse(text) as CapturedStack);
  const key = JSON.stringify({ stack, projectDir, files });
  let text = captures.get(key);
  if (!text) {
    text = runCapture(stack, rootDir, projectDir, files);
    captures.set(key, text);
    // A failed capture is not remembered: the next caller runs the program again.
    text.catch(() => captures.delete(key));
  }
  return text.then((t) => JSON.parse(t) as CapturedStack);
}

function runCapture(stack: string, rootDir: string, projectDir: string, files: ReturnType<typeof loadStackConfig>): Promise<string> {
  const manifest = parseYaml(readFileSync(join(rootDir, projectDir, 'Pulumi.yaml'), 'utf8')) as { name: string; main?: string };
  const dir = mkdtempSync(join(tmpdir(), 'tributary-capture-'));
  const request = join(dir, 'request.json');
  const result = join(dir, 'result.json');
  const program = join(projectDir, manifest.main ?? 'index.ts');
  writeFileSync(request, JSON.stringify({ stack, rootDir, project: manifest.name, program, ...files }));
  return new Promise<string>((resolvePromise, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', __filename, request, result],
      { cwd: rootDir, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, PULUMI_NODEJS_STACK: stack } },
      (error, _stdout, stderr) => {
        try {
          if (error || !existsSync(result)) {
            reject(new Error(`capturing stack ${stack} failed:\n${stderr.trim() || String(error)}`));
            return;
          }
          resolvePromise(readFileSync(result, 'utf8'));
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    );
  });
}

/** Every resource one stack registers under the mocks. */
export async function captureStack(stack: StackName, options: CaptureOptions = {}): Promise<CapturedResource[]> {
  return (await captureStackRun(stack, options)).resources;
}

/**
 * Whether an AWS resource type takes `tags`, read from the @pulumi/aws SDK module that declares
 * it (`aws:s3/bucket:Bucket` → `@pulumi/aws/s3/bucket.js` sets `resourceInputs["tags"]`).
 */
export function isTaggableType(type: string): boolean {
  const match = /^aws:([\w]+)\/(\w+):\w+$/.exec(type);
  if (!match) return false;
  const cached = taggable.get(type);
  if (cached !== undefined) return cached;
  const [, mod, file] = match;
  let source = '';
  try {
    source = readFileSync(join(dirnameOf('@pulumi/aws'), mod === 'index' ? '' : mod, `${file}.js`), 'utf8');
  } catch {
    source = '';
  }
  const result = source.includes('resourceInputs["tags"]');
  taggable.set(type, result);
  return result;
}
const taggable = new Map<string, boolean>();
function dirnameOf(pkg: string): string {
  return resolve(require.resolve(`${pkg}/package.json`), '..');
}

// ---------------------------------------------------------------------------------------------
// Child side: set the mocks, load the program, wait for every registration, write the result.

interface ChildRequest extends StackConfigFiles {
  readonly stack: string;
  readonly rootDir: string;
  readonly project: string;
  /** The program's entry, relative to the root (`stacks/index.ts`, `bootstrap/index.ts`). */
  readonly program: string;
}

/** Fabricated, realistic identifiers so ARNs flowing into policies look like AWS's own. */
function fabricate(type: string, name: string, inputs: Record<string, unknown>, account: string, region: string): Record<string, unknown> {
  const str = (key: string): string | undefined => (typeof inputs[key] === 'string' ? (inputs[key] as string) : undefined);
  const named = str('name') ?? name;
  const p = `arn:aws`;
  switch (type) {
    case 'aws:s3/bucket:Bucket': {
      const bucket = str('bucket') ?? name;
      return { id: bucket, bucket, arn: `${p}:s3:::${bucket}`, bucketRegionalDomainName: `${bucket}.s3.${region}.amazonaws.com` };
    }
    case 'aws:kms/key:Key': {
      const id = `mock-key-${name}`;
      return { id, keyId: id, arn: `${p}:kms:${region}:${account}:key/${id}` };
    }
    case 'aws:kms/alias:Alias':
      return { id: named, arn: `${p}:kms:${region}:${account}:${named}` };
    case 'aws:iam/role:Role':
      return { id: named, name: named, arn: `${p}:iam::${account}:role/${named}`, uniqueId: `AROA${name}` };
    case 'aws:lambda/function:Function':
      return { id: named, name: named, arn: `${p}:lambda:${region}:${account}:function:${named}`, invokeArn: `invoke-${named}` };
    case 'aws:lambda/layerVersion:LayerVersion': {
      const layer = str('layerName') ?? name;
      return { id: layer, arn: `${p}:lambda:${region}:${account}:layer:${layer}:1`, layerArn: `${p}:lambda:${region}:${account}:layer:${layer}` };
    }
    case 'aws:cloudwatch/logGroup:LogGroup':
      return { id: named, name: named, arn: `${p}:logs:${region}:${account}:log-group:${named}` };
    case 'aws:sns/topic:Topic':
      return { id: `${p}:sns:${region}:${account}:${named}`, name: named, arn: `${p}:sns:${region}:${account}:${named}` };
    case 'aws:sqs/queue:Queue':
      return { id: `https://sqs.${region}.amazonaws.com/${account}/${named}`, name: named, arn: `${p}:sqs:${region}:${account}:${named}` };
    case 'aws:secretsmanager/secret:Secret':
      return { id: `${p}:secretsmanager:${region}:${account}:secret:${named}-Mock01`, arn: `${p}:secretsmanager:${region}:${account}:secret:${named}-Mock01` };
    case 'aws:sfn/stateMachine:StateMachine':
      return { id: `${p}:states:${region}:${account}:stateMachine:${named}`, name: named, arn: `${p}:states:${region}:${account}:stateMachine:${named}` };
    case 'aws:codebuild/project:Project':
      return { id: named, name: named, arn: `${p}:codebuild:${region}:${account}:project/${named}` };
    case 'aws:codepipeline/pipeline:Pipeline':
      return { id: named, name: named, arn: `${p}:codepipeline:${region}:${account}:${named}` };
    case 'aws:codestarconnections/connection:Connection':
      return { id: `conn-${name}`, arn: `${p}:codestar-connections:${region}:${account}:connection/mock-${name}` };
    case 'aws:scheduler/scheduleGroup:ScheduleGroup':
      return { id: named, name: named, arn: `${p}:scheduler:${region}:${account}:schedule-group/${named}` };
    case 'aws:ec2/securityGroup:SecurityGroup':
      return { id: `sg-${hexOf(name)}`, arn: `${p}:ec2:${region}:${account}:security-group/sg-${hexOf(name)}` };
    case 'aws:ec2/vpcEndpoint:VpcEndpoint':
      return { id: `vpce-${hexOf(name)}`, arn: `${p}:ec2:${region}:${account}:vpc-endpoint/vpce-${hexOf(name)}` };
    case 'aws:scheduler/schedule:Schedule':
      return { id: named, name: named, arn: `${p}:scheduler:${region}:${account}:schedule/${str('groupName') ?? 'default'}/${named}` };
    default:
      return { id: `${name}-id`, arn: `${p}:mock:${region}:${account}:${type.split(':').pop()}/${name}` };
  }
}

/** 17 hex digits from a name, like EC2's resource ids. */
function hexOf(name: string): string {
  return createHash('sha256').update(name).digest('hex').slice(0, 17);
}

/**
 * Outputs of a remote component (awsx's children run in its own plugin, which mocks never start:
 * the component is one opaque resource, so the outputs the program reads are fabricated here).
 */
function fabricateComponent(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  if (type !== 'awsx:ec2:Vpc') return {};
  const zones = typeof inputs.numberOfAvailabilityZones === 'number' ? inputs.numberOfAvailabilityZones : 3;
  const subnets = (kind: string) => Array.from({ length: zones }, (_, i) => `subnet-${hexOf(`${name}-${kind}-${i}`)}`);
  const specs = (inputs.subnetSpecs as Array<{ type: string }> | undefined) ?? [{ type: 'Private' }, { type: 'Public' }];
  const has = (kind: string) => specs.some((s) => s.type === kind);
  return {
    vpcId: `vpc-${hexOf(name)}`,
    privateSubnetIds: has('Private') ? subnets('private') : [],
    publicSubnetIds: has('Public') ? subnets('public') : [],
    isolatedSubnetIds: [],
  };
}

const SIG_KEY = '4dabf18193072939515e22adb298388d';
const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';

/**
 * Inputs as plain JSON: secrets unwrapped to their value, assets and archives as
 * `{ asset | archive: { path | text | uri } }` with their (promised) fields resolved.
 */
async function plain(value: unknown): Promise<unknown> {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return Promise.all(value.map(plain));
  const obj = value as Record<string, unknown>;
  if (obj[SIG_KEY] === SECRET_SIG) return plain(obj.value);
  const kind = obj.__pulumiArchive ? 'archive' : obj.__pulumiAsset ? 'asset' : undefined;
  if (kind) {
    const fields: Record<string, unknown> = {};
    for (const field of ['path', 'text', 'uri', 'assets']) if (obj[field] !== undefined) fields[field] = await plain(await obj[field]);
    return { [kind]: fields };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = await plain(v);
  return out;
}

async function childMain(requestFile: string, resultFile: string): Promise<void> {
  const req = JSON.parse(readFileSync(requestFile, 'utf8')) as ChildRequest;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pulumi = require('@pulumi/pulumi') as typeof Pulumi;
  pulumi.runtime.setAllConfig(req.config, req.secretKeys);
  const namespace = req.project === PROJECT ? PROJECT : req.project.replace(/^tributary-/, '');
  const account = req.config[`${namespace}:accountId`] ?? '000000000000';
  const region = req.config[`${namespace}:region`] ?? 'us-east-1';

  const byKey = new Map<string, { inputs: Record<string, unknown>; outputs: Record<string, unknown>; custom: boolean; provider?: string }>();
  const order: Array<{ key: string; urn: string; parent?: string; type: string; name: string }> = [];
  await pulumi.runtime.setMocks(
    {
      async newResource(args) {
        const inputs = (await plain(args.inputs)) as Record<string, unknown>;
        const fabricated = args.custom ? fabricate(args.type, args.name, inputs, account, region) : fabricateComponent(args.type, args.name, inputs);
        const id = (fabricated.id as string | undefined) ?? `${args.name}-id`;
        const state = { ...inputs, ...fabricated };
        delete state.id;
        const key = `${args.type}::${args.name}`;
        if (byKey.has(key)) throw new Error(`duplicate resource ${key}`);
        byKey.set(key, { inputs, outputs: { ...state, id }, custom: args.custom ?? true, provider: args.provider || undefined });
        const echoed: Record<string, unknown> = { ...(args.inputs as Record<string, unknown>), ...fabricated };
        delete echoed.id;
        return { id: args.custom ? id : '', state: echoed };
      },
      call(args) {
        return args.inputs;
      },
    },
    req.project,
    req.stack,
    false,
  );
  // Record each registration's URN and parent at the monitor (the mock API does not pass them).
  type Monitor = {
    registerResource: (r: RegisterRequest, cb: unknown) => unknown;
    newUrn: (parent: string, type: string, name: string) => string;
  };
  type RegisterRequest = { getParent(): string; getType(): string; getName(): string };
  const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (r, cb) => {
    const parent = r.getParent() || undefined;
    order.push({ key: `${r.getType()}::${r.getName()}`, urn: monitor.newUrn(r.getParent(), r.getType(), r.getName()), parent, type: r.getType(), name: r.getName() });
    return register(r, cb);
  };

  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const program = require(join(req.rootDir, req.program)) as Record<string, unknown>;
  const outputs: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(program)) {
    outputs[name] = await new Promise((done) => (pulumi.output(value as Pulumi.Input<unknown>) as Pulumi.Output<unknown>).apply((v) => done(v)));
  }
  await pulumi.runtime.disconnect();
  const resources: CapturedResource[] = order.map(({ key, urn, parent, type, name }) => {
    const rec = byKey.get(key);
    if (!rec) throw new Error(`resource ${key} registered without reaching the mocks`);
    return { type, name, urn, ...(parent ? { parent } : {}), custom: rec.custom, ...(rec.provider ? { provider: rec.provider } : {}), inputs: rec.inputs, outputs: rec.outputs };
  });
  const result: CapturedStack = { stack: req.stack, resources, outputs };
  writeFileSync(resultFile, JSON.stringify(result));
}

if (require.main === module) {
  const [requestFile, resultFile] = process.argv.slice(2);
  childMain(requestFile, resultFile).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
