/**
 * Runs a small Pulumi program (the policy fixtures) under `pulumi.runtime.setMocks` and returns
 * its resources in the evaluator's shape. The stacks themselves are captured with the infra
 * harness (`tests/support/pulumiMocks.ts`); this one exists so the fixtures do not depend on it.
 *
 * The program is loaded with `await import()` after the mocks are set (swc hoists static imports).
 * Give each program its own jest test file: Pulumi's runtime state is module-global.
 */
import type { CapturedResource } from '../../../policies/evaluate';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-2';

interface Recorded {
  type: string;
  name: string;
  id: string;
  inputs: Record<string, unknown>;
  state: Record<string, unknown>;
  custom: boolean;
  provider?: string;
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** Mocked outputs: the inputs plus the physical name, id and ARN a provider would return. */
export function mockState(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
): { id: string; state: Record<string, unknown> } {
  const [pkg, mod] = type.split(':');
  const service = (mod ?? '').split('/')[0];
  if (pkg !== 'aws') return { id: `${name}-id`, state: { ...inputs } };
  if (type === 'aws:s3/bucket:Bucket' || type === 'aws:s3/bucketV2:BucketV2') {
    const bucket = text(inputs.bucket) ?? name;
    return { id: bucket, state: { ...inputs, bucket, arn: `arn:aws:s3:::${bucket}` } };
  }
  const physical = text(inputs.name) ?? name;
  const kind = (mod ?? '').split('/')[1] ?? service;
  const arn =
    type === 'aws:lambda/function:Function'
      ? `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${physical}`
      : `arn:aws:${service}:${REGION}:${ACCOUNT}:${kind}/${physical}`;
  return { id: physical, state: { ...inputs, name: physical, arn } };
}

/** Runs the program at `programPath` (absolute) under mocks and returns every registered resource with its mock URN. */
export async function captureProgram(
  programPath: string,
  { project = 'tributary', stack = 'fixture' }: { project?: string; stack?: string } = {},
): Promise<CapturedResource[]> {
  const pulumi = await import('@pulumi/pulumi');
  const recorded: Recorded[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const inputs = (args.inputs ?? {}) as Record<string, unknown>;
        const { id, state } = mockState(args.type, args.name, inputs);
        recorded.push({
          type: args.type,
          name: args.name,
          id,
          inputs,
          state,
          custom: args.custom !== false,
          provider: args.provider || undefined,
        });
        return { id, state };
      },
      call: (args) => ({ ...(args.inputs as Record<string, unknown>) }),
    },
    project,
    stack,
    false,
  );
  await import(programPath);
  const runtime = pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> };
  if (runtime.waitForRPCs) await runtime.waitForRPCs();
  await new Promise((r) => setImmediate(r));

  // The mock monitor keys its resources by URN (with the parent's type); match them back.
  const monitor = pulumi.runtime.getMonitor() as unknown as { resources?: Map<string, unknown> };
  const urns = [...(monitor.resources?.keys() ?? [])];
  const used = new Set<string>();
  return recorded.map((r) => {
    const urn =
      urns.find(
        (u) => !used.has(u) && u.endsWith(`::${r.name}`) && u.split('::')[2]?.split('$').pop() === r.type,
      ) ?? `urn:pulumi:${stack}::${project}::${r.type}::${r.name}`;
    used.add(urn);
    return {
      type: r.type,
      name: r.name,
      urn,
      id: r.id,
      custom: r.custom,
      inputs: r.inputs,
      outputs: r.state,
      provider: r.provider,
    };
  });
}
