/**
 * The bootstrap stack's config (`bootstrap/Pulumi.<account>.yaml`), validated: a missing or
 * malformed key fails with a message naming it. Pure: tests call it without Pulumi.
 */
import { missingTagKeys, type PlatformTags } from '../infra/tags';
import { deliveryBuildRoleName } from '../infra/statePolicies';

export const BOOTSTRAP_NAMESPACE = 'bootstrap';

export interface BootstrapStack {
  readonly stack: string;
  /** Principals deploying the stack, the delivery build role of its stage included. */
  readonly principalArns: readonly string[];
}

export interface BootstrapConfig {
  readonly environment: string;
  readonly accountId: string;
  readonly region: string;
  readonly tags: PlatformTags;
  readonly deployRole: { readonly stack: string; readonly delivery: boolean; readonly trustedPrincipalArns: readonly string[] };
  readonly stateStore?: { readonly bucketName: string; readonly stacks: readonly BootstrapStack[] };
}

const ACCOUNT = /^\d{12}$/;
const NAME = /^[a-z][a-z0-9-]{0,30}$/;
const PRINCIPAL = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/*-]+$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

type Raw = Record<string, unknown>;

class Problems {
  readonly list: string[] = [];
  bad(key: string, message: string): undefined {
    this.list.push(`"${BOOTSTRAP_NAMESPACE}:${key}" ${message}`);
    return undefined;
  }
  string(obj: Raw | undefined, field: string, key: string, pattern: RegExp, what: string): string | undefined {
    const v = obj?.[field];
    if (typeof v !== 'string' || !pattern.test(v)) return this.bad(key, `must be ${what}, got ${JSON.stringify(v)}`);
    return v;
  }
  object(obj: Raw | undefined, field: string, key: string): Raw | undefined {
    const v = obj?.[field];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return this.bad(key, 'must be a map');
    return v as Raw;
  }
  principals(obj: Raw | undefined, field: string, key: string): string[] {
    const v = obj?.[field];
    if (!Array.isArray(v) || v.length === 0) return this.bad(key, 'must list at least one IAM role or user ARN') ?? [];
    return v.flatMap((p, i) => this.string({ p }, 'p', `${key}[${i}]`, PRINCIPAL, 'an IAM role or user ARN (no bare account)') ?? []);
  }
}

function parse(value: unknown): unknown {
  // The CLI hands maps and lists over as JSON text, scalars as they are ("123456789012" stays text).
  if (typeof value !== 'string' || !/^[[{]/.test(value)) return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

/** `raw`: the stack's `bootstrap:*` config, namespace stripped, values as the CLI gives them. */
export function validateBootstrapConfig(rawInput: Readonly<Record<string, unknown>>): BootstrapConfig {
  const raw: Raw = Object.fromEntries(Object.entries(rawInput).map(([k, v]) => [k, parse(v)]));
  const p = new Problems();
  const environment = p.string(raw, 'environment', 'environment', NAME, 'a lower-case name');
  const accountId = p.string(raw, 'accountId', 'accountId', ACCOUNT, 'a 12-digit account id');
  // eslint-disable-next-line security/detect-unsafe-regex -- anchored, applied to one config value
  const region = p.string(raw, 'region', 'region', /^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region');
  const tags = p.object(raw, 'tags', 'tags');
  const missing = tags ? missingTagKeys(tags) : [];
  if (missing.length) p.bad('tags', `lacks ${missing.join(', ')}`);
  const delivery = p.object(raw, 'delivery', 'delivery');
  const deliveryAccount = p.string(delivery, 'accountId', 'delivery.accountId', ACCOUNT, 'a 12-digit account id');
  const deliveryEnv = p.string(delivery, 'environment', 'delivery.environment', NAME, 'the environment of the stack holding the delivery pipeline');
  const buildRole = (stack: string): string => `arn:aws:iam::${deliveryAccount}:role/${deliveryBuildRoleName(deliveryEnv ?? '', stack)}`;

  const role = p.object(raw, 'deployRole', 'deployRole');
  const roleStack = p.string(role, 'stack', 'deployRole.stack', NAME, 'the stack deployed with this role');
  const deployers = p.principals(role, 'deployers', 'deployRole.deployers');

  let stateStore: BootstrapConfig['stateStore'];
  if (raw.stateStore !== undefined) {
    const store = p.object(raw, 'stateStore', 'stateStore');
    const bucketName = p.string(store, 'bucketName', 'stateStore.bucketName', BUCKET, 'an S3 bucket name');
    const list = Array.isArray(store?.stacks) ? (store.stacks as unknown[]) : (p.bad('stateStore.stacks', 'must be a list') ?? []);
    const stacks = list.flatMap((entry, i): BootstrapStack[] => {
      const e = typeof entry === 'object' && entry !== null ? (entry as Raw) : undefined;
      const stack = p.string(e, 'stack', `stateStore.stacks[${i}].stack`, NAME, 'a stack name');
      const people = p.principals(e, 'deployers', `stateStore.stacks[${i}].deployers`);
      if (!stack) return [];
      return [{ stack, principalArns: [...people, ...(e?.deliveryStage === true ? [buildRole(stack)] : [])] }];
    });
    const names = stacks.map((s) => s.stack);
    if (new Set(names).size !== names.length) p.bad('stateStore.stacks', 'names a stack twice');
    if (bucketName) stateStore = { bucketName, stacks };
  }
  if (p.list.length > 0 || !environment || !accountId || !region || !tags || !roleStack) {
    throw new Error(`invalid bootstrap config:\n  ${p.list.join('\n  ')}`);
  }
  return {
    environment,
    accountId,
    region,
    tags: tags as PlatformTags,
    deployRole: { stack: roleStack, delivery: role?.delivery === true, trustedPrincipalArns: [...deployers, buildRole(roleStack)] },
    ...(stateStore ? { stateStore } : {}),
  };
}
