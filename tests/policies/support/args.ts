/**
 * Builds validation arguments shaped like the ones `@pulumi/policy`'s analyzer passes, so the unit
 * tests call a policy's `validateResource` / `validateStack` directly and collect the messages.
 */
import type {
  PolicyProviderResource,
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from '@pulumi/policy';

export interface FakeResource {
  type: string;
  name?: string;
  props: Record<string, unknown>;
  /** Defaults to a top-level URN built from type and name. */
  urn?: string;
  provider?: PolicyProviderResource;
  parent?: PolicyResource;
  propertyDependencies?: Record<string, PolicyResource[]>;
}

export interface Reported {
  message: string;
  urn?: string;
}

const OPTS = {
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
};

const notApplicable = (reason?: string): never => {
  throw new Error(`notApplicable: ${reason ?? ''}`);
};

export function urnOf(type: string, name: string, stack = 'test'): string {
  return `urn:pulumi:${stack}::tributary::${type}::${name}`;
}

/** Calls every `validateResource` of the policy on one resource; returns the reported messages. */
export async function checkResource(
  policy: ResourceValidationPolicy,
  r: FakeResource,
  config: Record<string, unknown> = {},
): Promise<string[]> {
  const name = r.name ?? 'res';
  const args: ResourceValidationArgs = {
    type: r.type,
    props: r.props,
    urn: r.urn ?? urnOf(r.type, name),
    name,
    opts: OPTS,
    stackTags: new Map(),
    isType: (cls) => (cls as unknown as { __pulumiType?: string }).__pulumiType === r.type,
    asType: () => r.props as never,
    getConfig: <T extends object>() => config as T,
    notApplicable,
  };
  if (r.provider) args.provider = r.provider;
  const reported: string[] = [];
  const validations = policy.validateResource === undefined ? [] : [policy.validateResource].flat();
  for (const v of validations) await v(args, (message) => reported.push(message));
  return reported;
}

/** A stack-view resource (outputs as props). */
export function stackResource(r: FakeResource): PolicyResource {
  const name = r.name ?? 'res';
  return {
    type: r.type,
    name,
    urn: r.urn ?? urnOf(r.type, name),
    props: r.props,
    opts: OPTS,
    parent: r.parent,
    provider: r.provider,
    dependencies: [],
    propertyDependencies: r.propertyDependencies ?? {},
    isType: (cls) => (cls as unknown as { __pulumiType?: string }).__pulumiType === r.type,
    asType: () => r.props as never,
  };
}

/** Calls the policy's `validateStack`; returns the reported (message, urn) pairs. */
export async function checkStack(
  policy: StackValidationPolicy,
  resources: PolicyResource[],
): Promise<Reported[]> {
  const args: StackValidationArgs = {
    resources,
    stackTags: new Map(),
    getConfig: <T extends object>() => ({}) as T,
    notApplicable,
  };
  const reported: Reported[] = [];
  await policy.validateStack(args, (message, urn) => reported.push({ message, urn }));
  return reported;
}

/** The names of the resources a stack policy reported. */
export function namesOf(reported: Reported[], resources: PolicyResource[]): string[] {
  return reported.map((r) => resources.find((x) => x.urn === r.urn)?.name ?? `?${r.urn}`).sort();
}
