/**
 * The rehearsal's verdicts over what it recorded: the authorizer built from the stack's documents,
 * least privilege (every grant used by some allowed call, or listed below with the reason it
 * cannot be exercised offline), environment variables a bundle never reads, and payload limits.
 */
import { decide, grantsOf, PolicySet, type AwsCall, type Decision, type PolicyDocument } from './iam';
import type { RecordedCall } from './proxy';

export interface AuthorizationModel {
  readonly rolePolicies: ReadonlyMap<string, PolicyDocument[]>;
  readonly resourcePolicies: ReadonlyMap<string, PolicyDocument>;
}

/** The resource whose policy governs an ARN: an S3 object's bucket, else the ARN itself. */
export function policyHolder(resource: string): string {
  return resource.startsWith('arn:aws:s3:::') ? resource.split('/')[0] : resource;
}

export function authorizer(model: AuthorizationModel): (call: AwsCall) => Decision {
  const identities = new Map<string, PolicySet>();
  const resources = new Map<string, PolicySet>();
  for (const [arn, docs] of model.rolePolicies) identities.set(arn, new PolicySet(docs));
  for (const [arn, doc] of model.resourcePolicies) resources.set(arn, new PolicySet([doc]));
  const nobody = new PolicySet([]);
  return (call) => {
    const isKey = call.action.startsWith('kms:');
    let resourcePolicy = resources.get(policyHolder(call.resource));
    if (isKey && !resourcePolicy) {
      // A key created without a policy gets AWS's default one: the account root, i.e. IAM decides.
      resourcePolicy = new PolicySet([{ Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${call.principal.split(':')[4]}:root` }, Action: 'kms:*', Resource: '*' }] }]);
    }
    return decide(call, identities.get(call.principal) ?? nobody, resourcePolicy, isKey);
  };
}

/** A grant the rehearsal cannot exercise offline, and why. */
export interface UnexercisableGrant {
  readonly role: RegExp;
  readonly action: string;
  readonly resource?: RegExp;
  readonly reason: string;
}

/**
 * Kept small: each entry is a call no offline execution can make, not a call these executions
 * happen not to make.
 */
export const UNEXERCISABLE: readonly UnexercisableGrant[] = [
  { role: /-sfn$/, action: 'logs:*Deliver*', reason: 'Step Functions uses the log-delivery grants when the state machine is created or updated (control plane), not during an execution' },
  { role: /-sfn$/, action: 'logs:*ResourcePolic*', reason: 'log-delivery setup at state machine creation (control plane)' },
  { role: /-sfn$/, action: 'logs:DescribeLogGroups', reason: 'log-delivery setup at state machine creation (control plane)' },
  { role: /-sfn$/, action: 'states:StartExecution', reason: "a Distributed Map's child executions are started by Step Functions' map-run service; the local interpreter runs the iterations in-process" },
  { role: /-sfn$/, action: 'states:DescribeExecution', reason: "a Distributed Map's child executions (map-run service, see StartExecution)" },
  { role: /-sfn$/, action: 'states:StopExecution', reason: "a Distributed Map's child executions (map-run service, see StartExecution)" },
  { role: /-notify$/, action: 'sqs:SendMessage', reason: "Lambda's asynchronous-invoke dead-letter queue: Lambda sends to it only after the notifier failed all its retries, which the rehearsal's SNS delivery does not emulate" },
  { role: /-notify$/, action: 'kms:GenerateDataKey', resource: /alerts/, reason: 'encrypts dead letters on the KMS-encrypted queue (see sqs:SendMessage)' },
  { role: /./, action: 'ec2:*', reason: "Lambda's service creates, describes and deletes the function's network interfaces in its VPC with the execution role when the function is created or scaled (control plane); the rehearsal runs bundles as processes, not in a VPC" },
  { role: /-notify$/, action: 's3:GetObject', resource: /\/site\/\*$/, reason: "the notifier only presigns the run-history link (no call); the person who opens it from Slack makes the GET with the notifier's credentials" },
  { role: /-notify$/, action: 'kms:Decrypt', resource: /lake-key/, reason: 'decrypts site/index.html for the presigned GET (see the s3:GetObject entry)' },
  { role: /./, action: 's3:AbortMultipartUpload', reason: 'lib-storage aborts a multipart upload only when a part fails to upload, a transport fault moto does not produce' },
];

export interface UnusedGrant {
  readonly role: string;
  readonly sid: string;
  readonly action: string;
  readonly resource: string;
}

// eslint-disable-next-line security/detect-non-literal-regexp -- the pattern is an IAM action from the stack's own documents, escaped
const actionMatches = (pattern: string, action: string): boolean => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(action);

/** Grants of the exercised roles that no allowed call used, minus the justified ones. */
export function unusedGrants(model: AuthorizationModel, calls: readonly RecordedCall[], exercisedRoles: ReadonlySet<string>, allowlist: readonly UnexercisableGrant[] = UNEXERCISABLE): { unused: UnusedGrant[]; justified: Array<UnusedGrant & { reason: string }> } {
  const unused: UnusedGrant[] = [];
  const justified: Array<UnusedGrant & { reason: string }> = [];
  const distinct = new Map<string, RecordedCall>();
  for (const c of calls) if (c.decision.allowed) distinct.set(JSON.stringify([c.principal, c.action, c.resource, c.context]), c);
  const byRole = new Map<string, RecordedCall[]>();
  for (const c of distinct.values()) byRole.set(c.principal, [...(byRole.get(c.principal) ?? []), c]);
  for (const role of exercisedRoles) {
    const roleCalls = byRole.get(role) ?? [];
    for (const g of grantsOf(role, model.rolePolicies.get(role) ?? [])) {
      if (roleCalls.some((c) => actionMatches(g.action, c.action) && g.policy.matches('Allow', c))) continue;
      const name = role.split('/').pop()!;
      const entry = allowlist.find((a) => a.role.test(name) && actionMatches(a.action, g.action) && (!a.resource || a.resource.test(g.resource)));
      if (entry) justified.push({ role, sid: g.sid, action: g.action, resource: g.resource, reason: entry.reason });
      else unused.push({ role, sid: g.sid, action: g.action, resource: g.resource });
    }
  }
  return { unused, justified };
}

/** Environment variables the stack sets on a function that no invocation of its bundle read. */
export function unreadVariables(environment: Readonly<Record<string, string>>, read: ReadonlySet<string>): string[] {
  return Object.keys(environment).filter((k) => !read.has(k));
}

/** Step Functions: 256 KB per state input/output (UTF-8); Lambda: 6 MB per synchronous request and response. */
export const STATE_PAYLOAD_LIMIT = 256 * 1024;
export const LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024;

export function payloadBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');
}

/**
 * Findings of the rehearsal on this branch that are NOT justified exceptions but defects or gaps
 * with an owner, kept as a ratchet: each must still occur (a stale entry fails, so the list only
 * shrinks), and any finding not listed here fails. Not for hiding new findings: fix those.
 */
export interface KnownFinding {
  readonly match: RegExp;
  readonly why: string;
  /** The stacks whose rehearsal must still show it (default: every stack); another stack may lack the pipeline. */
  readonly stacks?: readonly string[];
}

// Empty: the over-grants and over-provisioned variables it listed are fixed in infra (per-function
// environment, narrowed policies), and the executions it lacked (the multi-chunk backfill, a
// data-test breach) are rehearsed. A new entry needs an owner and a reason.
export const KNOWN_FINDINGS: readonly KnownFinding[] = [];

/** Splits findings into new ones (fail), known ones (printed), and stale known entries (fail). */
export function triage(findings: readonly string[], known: readonly KnownFinding[] = KNOWN_FINDINGS, checkStale = true, stack?: string): { failing: string[]; known: Array<{ finding: string; why: string }> } {
  const failing: string[] = [];
  const matched: Array<{ finding: string; why: string }> = [];
  const used = new Set<KnownFinding>();
  for (const f of findings) {
    const k = known.find((x) => x.match.test(f));
    if (k) {
      used.add(k);
      matched.push({ finding: f, why: k.why });
    } else failing.push(f);
  }
  const expected = (k: KnownFinding) => !k.stacks || stack === undefined || k.stacks.includes(stack);
  if (checkStale) for (const k of known) if (!used.has(k) && expected(k)) failing.push(`known finding no longer occurs, remove it from KNOWN_FINDINGS (scripts/rehearse/checks.ts): ${k.match.source}`);
  return { failing, known: matched };
}
