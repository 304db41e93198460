/**
 * Evaluates recorded AWS calls against IAM documents with pbac (MIT, AWS IAM policy evaluation
 * engine). This file only adapts documents and requests to pbac and combines its answers the way
 * AWS combines identity and resource policies within one account:
 *
 * - an explicit Deny in any document that applies denies;
 * - otherwise an Allow in the caller's identity policies, or an Allow in the resource policy that
 *   names the caller (its role ARN or `*`), allows;
 * - a KMS key is the exception: its key policy must allow, directly or by naming the account
 *   root, which delegates to the identity policies (then they must allow too).
 *
 * Adaptations pbac needs (documented so a reader can check them against its source):
 * - its schema wants arrays for Action/Resource/Principal values: strings are wrapped, `*`
 *   principals become `{AWS: ['*']}`;
 * - it reads only the first key of each condition operator block: blocks with several keys are
 *   split into aliases of the same operator (`StringLike__1`), registered as its conditions;
 * - it splits a condition key at every `:` and keeps two parts: keys with more than one `:`
 *   (`kms:EncryptionContext:aws:s3:arn`) are rewritten with `|` after the first, in both the
 *   documents and the request context.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const PBAC = require('pbac') as PbacConstructor;

interface PbacRequest {
  action: string;
  resource: string;
  context: Record<string, Record<string, string>>;
  principal?: Record<string, string[]>;
}
interface Pbac {
  filterPoliciesBy(o: { effect: 'Allow' | 'Deny'; action: string; resource: string; context: PbacRequest['context']; principal: Record<string, string[]> }): unknown;
}
type PbacConstructor = new (policies: unknown[], options?: { conditions?: Record<string, (a: unknown, b: unknown) => boolean> }) => Pbac;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const baseConditions = require('pbac/conditions') as Record<string, (this: unknown, a: unknown, b: unknown) => boolean>;

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: '*' | Record<string, string | string[]>;
  Condition?: Record<string, Record<string, unknown>>;
}
export interface PolicyDocument {
  Version?: string;
  Statement: Statement | Statement[];
}

/** One request as AWS authorizes it. */
export interface AwsCall {
  /** The caller: a role ARN. */
  readonly principal: string;
  /** `s3:GetObject`, `kms:GenerateDataKey`, … */
  readonly action: string;
  readonly resource: string;
  /** Condition keys AWS sets for the request (`aws:PrincipalArn`, `s3:prefix`, `kms:ViaService`, …). */
  readonly context: Readonly<Record<string, string>>;
}

export interface Decision {
  readonly allowed: boolean;
  /** Why, in words a failure message can carry. */
  readonly reason: string;
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const encodeKey = (key: string): string => {
  const i = key.indexOf(':');
  return i < 0 ? key : `${key.slice(0, i + 1)}${key.slice(i + 1).replace(/:/g, '|')}`;
};

const aliases: Record<string, (a: unknown, b: unknown) => boolean> = {};
function alias(operator: string, n: number): string {
  if (n === 0) return operator;
  const name = `${operator}__${n}`;
  const base = baseConditions[operator] ?? fail(`iam: condition operator ${operator} is not one pbac implements`);
  aliases[name] ??= function (this: unknown, a: unknown, b: unknown) {
    return base.call(this, a, b);
  };
  return name;
}
function fail(message: string): never {
  throw new Error(message);
}

function normalizeStatement(s: Statement): Record<string, unknown> {
  const out: Record<string, unknown> = { Effect: s.Effect };
  for (const k of ['Action', 'NotAction', 'Resource', 'NotResource'] as const) if (s[k] !== undefined) out[k] = list(s[k]);
  if (s.Principal !== undefined) {
    out.Principal = s.Principal === '*' ? { AWS: ['*'] } : Object.fromEntries(Object.entries(s.Principal).map(([k, v]) => [k, list(v)]));
  }
  if (s.Condition) {
    const condition: Record<string, Record<string, unknown>> = {};
    for (const [operator, block] of Object.entries(s.Condition)) {
      if (!baseConditions[operator]) fail(`iam: condition operator ${operator} is not one pbac implements`);
      Object.entries(block).forEach(([key, value], n) => {
        // pbac's Bool compares strings or booleans; documents may hold either.
        condition[alias(operator, n)] = { [encodeKey(key)]: Array.isArray(value) ? value.map(String) : String(value) };
      });
    }
    out.Condition = condition;
  }
  return out;
}

function normalize(doc: PolicyDocument): unknown {
  return { Version: doc.Version ?? '2012-10-17', Statement: list(doc.Statement).map(normalizeStatement) };
}

function contextOf(call: AwsCall): PbacRequest['context'] {
  const out: PbacRequest['context'] = {};
  for (const [key, value] of Object.entries({ 'aws:PrincipalArn': call.principal, ...call.context })) {
    const k = encodeKey(key);
    const i = k.indexOf(':');
    (out[k.slice(0, i)] ??= {})[k.slice(i + 1)] = value;
  }
  return out;
}

/** A set of documents pbac evaluates (identity policies of one role, or one resource policy). */
export class PolicySet {
  private readonly pbac: Pbac;
  constructor(readonly documents: readonly PolicyDocument[]) {
    const normalized = documents.map(normalize);
    this.pbac = new PBAC(normalized, { conditions: aliases });
  }
  /** Whether a statement of `effect` applies; `principals` only matter for resource policies. */
  matches(effect: 'Allow' | 'Deny', call: AwsCall, principals: string[] = []): boolean {
    return !!this.pbac.filterPoliciesBy({ effect, action: call.action, resource: call.resource, context: contextOf(call), principal: principals.length ? { AWS: principals } : {} });
  }
}

export function accountRoot(principalArn: string): string {
  const account = principalArn.split(':')[4];
  return `arn:aws:iam::${account}:root`;
}

/**
 * AWS's decision for a same-account call: identity policies of the caller, and the policy of the
 * resource (bucket, key, topic, secret) when it has one. `resourceIsKmsKey` switches to the key
 * policy rule (the key policy must allow).
 */
export function decide(call: AwsCall, identity: PolicySet, resourcePolicy?: PolicySet, resourceIsKmsKey = false): Decision {
  const root = accountRoot(call.principal);
  const everyone = [call.principal, root, '*'];
  if (identity.matches('Deny', call)) return { allowed: false, reason: 'explicit Deny in the identity policy' };
  if (resourcePolicy?.matches('Deny', call, everyone)) return { allowed: false, reason: 'explicit Deny in the resource policy' };
  const identityAllows = identity.matches('Allow', call);
  const resourceNamesCaller = resourcePolicy?.matches('Allow', call, [call.principal, '*']) ?? false;
  if (resourceIsKmsKey) {
    if (resourceNamesCaller) return { allowed: true, reason: 'key policy allows the caller' };
    const delegated = resourcePolicy?.matches('Allow', call, [root]) ?? false;
    if (!delegated) return { allowed: false, reason: 'the key policy neither allows the caller nor delegates to IAM' };
    return identityAllows ? { allowed: true, reason: 'identity policy (key policy delegates to IAM)' } : { allowed: false, reason: 'no Allow in the identity policy (the key policy delegates to IAM)' };
  }
  if (identityAllows) return { allowed: true, reason: 'identity policy' };
  if (resourceNamesCaller) return { allowed: true, reason: 'resource policy' };
  return { allowed: false, reason: 'no Allow in the identity policy nor the resource policy' };
}

/** One grant: an action on a resource pattern, as one Allow statement of an identity policy states it. */
export interface Grant {
  readonly role: string;
  readonly sid: string;
  readonly action: string;
  readonly resource: string;
  /** The statement narrowed to this action and resource, with its conditions. */
  readonly policy: PolicySet;
}

/** Splits a role's identity policies into single action × single resource grants. */
export function grantsOf(role: string, documents: readonly PolicyDocument[]): Grant[] {
  const out: Grant[] = [];
  for (const doc of documents)
    list(doc.Statement).forEach((s, i) => {
      if (s.Effect !== 'Allow' || !s.Action) return;
      for (const action of list(s.Action))
        for (const resource of list(s.Resource ?? '*')) {
          const narrowed: Statement = { Effect: 'Allow', Action: action, Resource: resource, ...(s.Condition ? { Condition: s.Condition } : {}) };
          out.push({ role, sid: s.Sid ?? `#${i}`, action, resource, policy: new PolicySet([{ Statement: [narrowed] }]) });
        }
    });
  return out;
}
