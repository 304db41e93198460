/**
 * What the rehearsal takes from a stack program run under the Pulumi mocks: every function
 * (bundle, environment, memory, timeout, role), every secret (with the value the stack writes),
 * bucket, topic and log group, and every state machine with its definition and schedules.
 */
import { captureStackRun, type CapturedResource } from '../../tests/support/pulumiMocks';
import type { PolicyDocument as IamDocument } from './iam';

export interface DeployedFunction {
  readonly name: string;
  readonly arn: string;
  /** Folder of the bundle the stack deploys (`dist/<fn>`). */
  readonly codeDir: string;
  readonly environment: Record<string, string>;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly roleArn: string;
  /** Lambda's default /tmp (512 MB) unless the function sets ephemeralStorage. */
  readonly tmpMb: number;
  /** Active tracing: Lambda's X-Ray daemon sends segments with the function's role. */
  readonly tracing: boolean;
  /** The log group Lambda delivers its output to. */
  readonly logGroup: string;
}

export interface DeployedStateMachine {
  readonly name: string;
  readonly arn: string;
  readonly definition: Record<string, unknown>;
  /** Inputs the schedules start it with. */
  readonly scheduleInputs: unknown[];
  readonly roleArn: string;
}

export interface DeployedStack {
  readonly stack: string;
  readonly accountId: string;
  readonly region: string;
  readonly functions: DeployedFunction[];
  readonly stateMachines: DeployedStateMachine[];
  readonly buckets: string[];
  readonly topics: string[];
  readonly logGroups: string[];
  /** Secret name → ARN the stack gave it, and the value the stack itself writes (if any). */
  readonly secrets: Array<{ name: string; arn: string; writtenValue?: string; keyArn?: string }>;
  /** Role ARN → its identity policy documents (inline role policies). */
  readonly rolePolicies: Map<string, IamDocument[]>;
  /** Resource ARN (bucket, key, topic, secret) → its resource policy. */
  readonly resourcePolicies: Map<string, IamDocument>;
  /** Bucket name → the KMS key its default encryption uses. */
  readonly bucketEncryption: Map<string, { keyArn: string; bucketKey: boolean }>;
  /** Topic ARN → its KMS key. */
  readonly topicKeys: Map<string, string>;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const of = (resources: CapturedResource[], type: string) => resources.filter((r) => r.type === type);

export async function deployedStack(stack: string): Promise<DeployedStack> {
  const run = await captureStackRun(stack);
  const r = run.resources;
  const functions = of(r, 'aws:lambda/function:Function').map((f): DeployedFunction => {
    const i = f.inputs as Record<string, unknown> & { code?: { archive?: { path?: string } }; environment?: { variables?: Record<string, string> }; ephemeralStorage?: { size?: number } };
    return {
      name: str(i.name),
      arn: str(f.outputs.arn),
      codeDir: i.code?.archive?.path ?? '',
      environment: { ...(i.environment?.variables ?? {}) },
      memoryMb: Number(i.memorySize ?? 128),
      timeoutSeconds: Number(i.timeout ?? 3),
      roleArn: str(i.role),
      tmpMb: Number(i.ephemeralStorage?.size ?? 512),
      tracing: (i.tracingConfig as { mode?: string } | undefined)?.mode === 'Active',
      logGroup: str((i.loggingConfig as { logGroup?: string } | undefined)?.logGroup) || `/aws/lambda/${str(i.name)}`,
    };
  });
  const schedules = of(r, 'aws:scheduler/schedule:Schedule');
  const stateMachines = of(r, 'aws:sfn/stateMachine:StateMachine').map((m): DeployedStateMachine => {
    const arn = str(m.outputs.arn);
    return {
      name: str(m.inputs.name),
      arn,
      definition: JSON.parse(str(m.inputs.definition)) as Record<string, unknown>,
      scheduleInputs: schedules
        .map((s) => s.inputs.target as { arn?: string; input?: string })
        .filter((t) => t.arn === arn)
        .map((t) => JSON.parse(t.input ?? '{}') as unknown),
      roleArn: str(m.inputs.roleArn),
    };
  });
  const secretVersions = of(r, 'aws:secretsmanager/secretVersion:SecretVersion');
  const secrets = of(r, 'aws:secretsmanager/secret:Secret').map((s) => {
    const arn = str(s.outputs.arn);
    const written = secretVersions.find((v) => v.inputs.secretId === arn || v.inputs.secretId === s.outputs.id);
    const keyArn = str(s.inputs.kmsKeyId);
    return { name: str(s.inputs.name), arn, ...(written ? { writtenValue: str(written.inputs.secretString) } : {}), ...(keyArn ? { keyArn } : {}) };
  });
  const doc = (v: unknown): IamDocument => (typeof v === 'string' ? JSON.parse(v) : v) as IamDocument;
  const roleArnByName = new Map(of(r, 'aws:iam/role:Role').map((role) => [str(role.outputs.name) || str(role.inputs.name), str(role.outputs.arn)]));
  const rolePolicies = new Map<string, IamDocument[]>([...roleArnByName.values()].map((arn) => [arn, []]));
  for (const p of of(r, 'aws:iam/rolePolicy:RolePolicy')) {
    const arn = roleArnByName.get(str(p.inputs.role)) ?? str(p.inputs.role);
    rolePolicies.set(arn, [...(rolePolicies.get(arn) ?? []), doc(p.inputs.policy)]);
  }
  if (of(r, 'aws:iam/rolePolicyAttachment:RolePolicyAttachment').length) throw new Error('rehearsal: managed policy attachments are not read yet (only inline role policies)');
  const resourcePolicies = new Map<string, IamDocument>();
  for (const k of of(r, 'aws:kms/key:Key')) if (k.inputs.policy) resourcePolicies.set(str(k.outputs.arn), doc(k.inputs.policy));
  for (const b of of(r, 'aws:s3/bucketPolicy:BucketPolicy')) resourcePolicies.set(`arn:aws:s3:::${str(b.inputs.bucket)}`, doc(b.inputs.policy));
  for (const t of of(r, 'aws:sns/topicPolicy:TopicPolicy')) resourcePolicies.set(str(t.inputs.arn), doc(t.inputs.policy));
  for (const s of of(r, 'aws:secretsmanager/secretPolicy:SecretPolicy')) resourcePolicies.set(str(s.inputs.secretArn), doc(s.inputs.policy));
  const bucketEncryption = new Map<string, { keyArn: string; bucketKey: boolean }>();
  for (const e of of(r, 'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration')) {
    const rule = (e.inputs.rules as Array<{ applyServerSideEncryptionByDefault?: { kmsMasterKeyId?: string; sseAlgorithm?: string }; bucketKeyEnabled?: boolean }>)[0];
    const keyArn = rule?.applyServerSideEncryptionByDefault?.kmsMasterKeyId;
    if (keyArn) bucketEncryption.set(str(e.inputs.bucket), { keyArn, bucketKey: rule.bucketKeyEnabled === true });
  }
  const topicKeys = new Map<string, string>();
  for (const t of of(r, 'aws:sns/topic:Topic')) if (t.inputs.kmsMasterKeyId) topicKeys.set(str(t.outputs.arn), str(t.inputs.kmsMasterKeyId));
  const anyArn = functions[0]?.arn.split(':') ?? [];
  return {
    stack,
    region: anyArn[3] ?? 'eu-west-2',
    accountId: anyArn[4] ?? '000000000000',
    functions,
    stateMachines,
    buckets: of(r, 'aws:s3/bucket:Bucket').map((b) => str(b.outputs.bucket)),
    topics: of(r, 'aws:sns/topic:Topic').map((t) => str(t.inputs.name)),
    logGroups: of(r, 'aws:cloudwatch/logGroup:LogGroup').map((g) => str(g.inputs.name)),
    secrets,
    rolePolicies,
    resourcePolicies,
    bucketEncryption,
    topicKeys,
  };
}
