/**
 * Offline evaluation of policies over resources captured from a Pulumi program run under mocks.
 *
 * It calls each policy's `validateResource` (with the resource's inputs, as the engine's
 * `Analyze` call does) and `validateStack` (with every resource's outputs, as `AnalyzeStack`
 * does), with argument objects shaped like the ones `@pulumi/policy`'s analyzer server builds,
 * and collects `reportViolation` calls. It never constructs a `PolicyPack`.
 */
import type {
  EnforcementLevel,
  Policies,
  PolicyResource,
  PolicyResourceOptions,
  PolicyProviderResource,
  ReportViolation,
  ResourceValidation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from '@pulumi/policy';

/** One resource as registered by a program (e.g. recorded by Pulumi mocks). */
export interface CapturedResource {
  type: string;
  name: string;
  urn: string;
  /** Physical id returned by the provider (or the mock). */
  id?: string;
  /** False for component resources. */
  custom?: boolean;
  /** The inputs the program passed (what resource policies see). */
  inputs: Record<string, unknown>;
  /** The resource's outputs/state (what stack policies see); defaults to the inputs. */
  outputs?: Record<string, unknown>;
  /** URN of the parent resource. */
  parent?: string;
  /** Provider reference (`<urn>::<id>`) or provider URN. */
  provider?: string;
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
}

export interface PolicyViolation {
  policy: string;
  enforcementLevel: EnforcementLevel;
  message: string;
  urn?: string;
  resourceName?: string;
  resourceType?: string;
}

export interface PolicyOutcome {
  policy: string;
  kind: 'resource' | 'stack';
  enforcementLevel: EnforcementLevel;
  violations: PolicyViolation[];
}

export interface EvaluationOptions {
  /** Policy configuration as in `pulumi preview --policy-pack-config` (`{ name: { enforcementLevel, ... } }`). */
  config?: Record<string, Record<string, unknown> | EnforcementLevel>;
  /** Enforcement level for policies that set none (the pack's default). */
  defaultEnforcementLevel?: EnforcementLevel;
  stackTags?: ReadonlyMap<string, string>;
  /**
   * Inputs of the default provider (e.g. `{ region, defaultTags }` from `aws:*` stack config), used
   * for resources registered without an explicit provider.
   */
  defaultProviders?: Record<string, Record<string, unknown>>;
}

class NotApplicable extends Error {
  constructor(readonly reason?: string) {
    super(reason ?? 'not applicable');
  }
}

const notApplicable = (reason?: string): never => {
  throw new NotApplicable(reason);
};

const EMPTY_OPTS: Omit<PolicyResourceOptions, 'parent'> = {
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
};

type ResourceClass = { __pulumiType?: string; isInstance?: (o: unknown) => boolean };

/** Same rule as the analyzer server: the class's `__pulumiType`, else its `isInstance`. */
function isTypeOf(type: string, resourceClass: unknown): boolean {
  const c = resourceClass as ResourceClass;
  if (typeof c.__pulumiType === 'string') return c.__pulumiType === type;
  return typeof c.isInstance === 'function' && c.isInstance({ __pulumiType: type }) === true;
}

function pulumiTypeOf(fn: unknown): string | undefined {
  const t = (fn as { __pulumiType?: unknown }).__pulumiType;
  return typeof t === 'string' ? t : undefined;
}

function isStackPolicy(p: ResourceValidationPolicy | StackValidationPolicy): p is StackValidationPolicy {
  return typeof (p as StackValidationPolicy).validateStack === 'function';
}

/** Provider reference `<urn>::<id>` → URN (URNs contain `::` themselves, so cut at the last one). */
function providerUrn(ref: string, urns: ReadonlySet<string>): string {
  if (urns.has(ref)) return ref;
  const cut = ref.lastIndexOf('::');
  return cut > 0 ? ref.slice(0, cut) : ref;
}

function packageOf(type: string): string {
  return type.split(':')[0];
}

export class Evaluation {
  private readonly byUrn = new Map<string, CapturedResource>();

  constructor(
    private readonly resources: readonly CapturedResource[],
    private readonly options: EvaluationOptions = {},
  ) {
    for (const r of resources) this.byUrn.set(r.urn, r);
  }

  private enforcementLevel(p: { name: string; enforcementLevel?: EnforcementLevel }): EnforcementLevel {
    const c = this.options.config?.[p.name];
    const configured = typeof c === 'string' ? c : (c?.enforcementLevel as EnforcementLevel | undefined);
    const level = configured ?? p.enforcementLevel ?? this.options.defaultEnforcementLevel ?? 'advisory';
    return level === 'remediate' ? 'mandatory' : level;
  }

  private getConfig(policy: string): <T extends object>() => T {
    return <T extends object>(): T => {
      const c = this.options.config?.[policy];
      if (!c || typeof c === 'string') return {} as T;
      const { enforcementLevel: _ignored, ...rest } = c;
      return rest as T;
    };
  }

  private provider(r: CapturedResource): PolicyProviderResource | undefined {
    if (r.type.startsWith('pulumi:providers:')) return undefined;
    if (r.provider) {
      const urn = providerUrn(r.provider, new Set(this.byUrn.keys()));
      const p = this.byUrn.get(urn);
      if (p) return { type: p.type, urn: p.urn, name: p.name, props: p.inputs };
    }
    const pkg = packageOf(r.type);
    const defaults = this.options.defaultProviders?.[pkg];
    if (r.custom === false || !defaults) return undefined;
    return {
      type: `pulumi:providers:${pkg}`,
      urn: `default_${pkg}`,
      name: `default_${pkg}`,
      props: defaults,
    };
  }

  private opts(r: CapturedResource): PolicyResourceOptions {
    return r.parent ? { ...EMPTY_OPTS, parent: r.parent } : { ...EMPTY_OPTS };
  }

  private resourceArgs(r: CapturedResource, policy: string): ResourceValidationArgs {
    const props = r.inputs;
    const args: ResourceValidationArgs = {
      type: r.type,
      props,
      urn: r.urn,
      name: r.name,
      opts: this.opts(r),
      stackTags: this.options.stackTags ?? new Map(),
      isType: (cls) => isTypeOf(r.type, cls),
      asType: <TResource, TArgs>(cls: { new (name: string, args: TArgs, ...rest: never[]): TResource }) =>
        (isTypeOf(r.type, cls) ? props : undefined) as never,
      getConfig: this.getConfig(policy),
      notApplicable,
    };
    const provider = this.provider(r);
    if (provider) args.provider = provider;
    return args;
  }

  /** The stack view: outputs, parents and dependencies linked as `AnalyzeStack` does. */
  private stackResources(): PolicyResource[] {
    const out = new Map<string, PolicyResource>();
    for (const r of this.resources) {
      const props: Record<string, unknown> = { ...(r.outputs ?? r.inputs) };
      if (r.id !== undefined && props.id === undefined) props.id = r.id;
      const resource: PolicyResource = {
        type: r.type,
        props,
        urn: r.urn,
        name: r.name,
        opts: this.opts(r),
        dependencies: [],
        propertyDependencies: {},
        isType: (cls) => isTypeOf(r.type, cls),
        asType: (cls) => (isTypeOf(r.type, cls) ? props : undefined) as never,
      };
      const provider = this.provider(r);
      if (provider) resource.provider = provider;
      out.set(r.urn, resource);
    }
    for (const r of this.resources) {
      const resource = out.get(r.urn) as PolicyResource;
      const parent = r.parent ? out.get(r.parent) : undefined;
      if (parent) resource.parent = parent;
      resource.dependencies = (r.dependencies ?? []).flatMap((u) => out.get(u) ?? []);
      for (const [k, urns] of Object.entries(r.propertyDependencies ?? {})) {
        resource.propertyDependencies[k] = urns.flatMap((u) => out.get(u) ?? []);
      }
    }
    return [...out.values()];
  }

  async run(policies: Policies): Promise<PolicyOutcome[]> {
    const outcomes: PolicyOutcome[] = [];
    let stackResources: PolicyResource[] | undefined;
    for (const p of policies) {
      const enforcementLevel = this.enforcementLevel(p);
      const stack = isStackPolicy(p);
      const outcome: PolicyOutcome = {
        policy: p.name,
        kind: stack ? 'stack' : 'resource',
        enforcementLevel,
        violations: [],
      };
      outcomes.push(outcome);
      if (enforcementLevel === 'disabled') continue;
      const violation =
        (r?: { urn: string; name: string; type: string }): ReportViolation =>
        (message: string, urn?: string) => {
          const target = r ?? (urn ? this.byUrn.get(urn) : undefined);
          outcome.violations.push({
            policy: p.name,
            enforcementLevel,
            message,
            urn: r?.urn ?? urn,
            resourceName: target?.name,
            resourceType: target?.type,
          });
        };
      if (stack) {
        stackResources ??= this.stackResources();
        const args: StackValidationArgs = {
          resources: stackResources,
          stackTags: this.options.stackTags ?? new Map(),
          getConfig: this.getConfig(p.name),
          notApplicable,
        };
        await this.guard(() => p.validateStack(args, violation()));
        continue;
      }
      const validations: ResourceValidation[] = p.validateResource
        ? Array.isArray(p.validateResource)
          ? p.validateResource
          : [p.validateResource]
        : [];
      for (const r of this.resources) {
        for (const validate of validations) {
          const only = pulumiTypeOf(validate);
          if (only && only !== r.type) continue;
          await this.guard(() => validate(this.resourceArgs(r, p.name), violation(r)));
        }
      }
    }
    return outcomes;
  }

  private async guard(fn: () => Promise<void> | void): Promise<void> {
    try {
      await fn();
    } catch (e) {
      if (!(e instanceof NotApplicable)) throw e;
    }
  }
}

/** Evaluates every policy over the resources; returns one outcome per policy, in order. */
export function evaluatePolicies(
  policies: Policies,
  resources: readonly CapturedResource[],
  options?: EvaluationOptions,
): Promise<PolicyOutcome[]> {
  return new Evaluation(resources, options).run(policies);
}

/** All violations of the outcomes at the given levels (default: mandatory only). */
export function violationsOf(
  outcomes: readonly PolicyOutcome[],
  levels: readonly EnforcementLevel[] = ['mandatory'],
): PolicyViolation[] {
  return outcomes.flatMap((o) => o.violations).filter((v) => levels.includes(v.enforcementLevel));
}

/** A plain-text table: one row per policy, one column per stack ("ok" or the violation count). */
export function formatTable(results: ReadonlyMap<string, readonly PolicyOutcome[]>): string {
  const stacks = [...results.keys()];
  const names = [...new Set([...results.values()].flatMap((o) => o.map((x) => x.policy)))];
  const cell = (stack: string, policy: string): string => {
    const o = results.get(stack)?.find((x) => x.policy === policy);
    if (!o) return '-';
    if (o.enforcementLevel === 'disabled') return 'disabled';
    const n = o.violations.length;
    if (n === 0) return 'ok';
    return `FAIL ${n}${o.enforcementLevel === 'mandatory' ? '' : ` (${o.enforcementLevel})`}`;
  };
  const header = ['policy', ...stacks];
  const rows = names.map((n) => [n, ...stacks.map((s) => cell(s, n))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join(' | ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}
