/**
 * What the rehearsal takes from a stack program run under the Pulumi mocks: every function
 * (bundle, environment, memory, timeout, role), every secret (with the value the stack writes),
 * bucket, topic and log group, and every state machine with its definition and schedules.
 */
import { captureStackRun, type CapturedResource } from '../../tests/support/pulumiMocks';

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
}

export interface DeployedStateMachine {
  readonly name: string;
  readonly arn: string;
  readonly definition: Record<string, unknown>;
  /** Inputs the schedules start it with. */
  readonly scheduleInputs: unknown[];
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
  readonly secrets: Array<{ name: string; arn: string; writtenValue?: string }>;
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
    };
  });
  const secretVersions = of(r, 'aws:secretsmanager/secretVersion:SecretVersion');
  const secrets = of(r, 'aws:secretsmanager/secret:Secret').map((s) => {
    const arn = str(s.outputs.arn);
    const written = secretVersions.find((v) => v.inputs.secretId === arn || v.inputs.secretId === s.outputs.id);
    return { name: str(s.inputs.name), arn, ...(written ? { writtenValue: str(written.inputs.secretString) } : {}) };
  });
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
  };
}
