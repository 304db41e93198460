/**
 * Small, dependency-free helpers shared by the rules: type tokens, value readers, IAM policy
 * document parsing and the links between a resource and the resources that configure it.
 */
import type { PolicyResource, ResourceValidationArgs } from '@pulumi/policy';
import { LAKE_COMPONENT_TYPE_SUFFIXES } from '../constants';

/** Pulumi type tokens of the `@pulumi/aws` v7 resources the rules look at. */
export const T = {
  bucket: 'aws:s3/bucket:Bucket',
  bucketV2: 'aws:s3/bucketV2:BucketV2',
  bucketSse: 'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
  bucketSseV2: 'aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2',
  bucketPublicAccessBlock: 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock',
  bucketPolicy: 'aws:s3/bucketPolicy:BucketPolicy',
  bucketVersioning: 'aws:s3/bucketVersioning:BucketVersioning',
  bucketVersioningV2: 'aws:s3/bucketVersioningV2:BucketVersioningV2',
  kmsKey: 'aws:kms/key:Key',
  snsTopic: 'aws:sns/topic:Topic',
  secret: 'aws:secretsmanager/secret:Secret',
  logGroup: 'aws:cloudwatch/logGroup:LogGroup',
  codebuildProject: 'aws:codebuild/project:Project',
  codepipeline: 'aws:codepipeline/pipeline:Pipeline',
  lambdaFunction: 'aws:lambda/function:Function',
  lambdaEventInvokeConfig: 'aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig',
  lambdaFunctionUrl: 'aws:lambda/functionUrl:FunctionUrl',
  lambdaPermission: 'aws:lambda/permission:Permission',
  iamRole: 'aws:iam/role:Role',
  iamPolicy: 'aws:iam/policy:Policy',
  iamRolePolicy: 'aws:iam/rolePolicy:RolePolicy',
  iamUserPolicy: 'aws:iam/userPolicy:UserPolicy',
  iamGroupPolicy: 'aws:iam/groupPolicy:GroupPolicy',
  iamRolePolicyAttachment: 'aws:iam/rolePolicyAttachment:RolePolicyAttachment',
  iamUserPolicyAttachment: 'aws:iam/userPolicyAttachment:UserPolicyAttachment',
  iamGroupPolicyAttachment: 'aws:iam/groupPolicyAttachment:GroupPolicyAttachment',
  iamPolicyAttachment: 'aws:iam/policyAttachment:PolicyAttachment',
  iamRolePolicyAttachmentsExclusive: 'aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive',
} as const;

export const BUCKET_TYPES: readonly string[] = [T.bucket, T.bucketV2];

export type Props = Record<string, unknown>;

export function isRecord(value: unknown): value is Props {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

export function rec(value: unknown): Props | undefined {
  return isRecord(value) ? value : undefined;
}

/** An array value, or a single value wrapped in an array (policy documents allow both). */
export function list(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** `props[key]` when it is an array of objects. */
export function records(value: unknown): Props[] {
  return list(value).filter(isRecord);
}

export function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

/** How a resource is named in violation messages: its logical name, type and URN. */
export function describe(r: { name: string; type: string; urn: string }): string {
  return `'${r.name}' (${r.type}, ${r.urn})`;
}

// ---------------------------------------------------------------------------------------------
// IAM policy documents
// ---------------------------------------------------------------------------------------------

export interface Statement {
  Sid?: string;
  Effect: string;
  Action: string[];
  NotAction: string[];
  Resource: string[];
  NotResource: string[];
  Principal: unknown;
  Condition: Props | undefined;
}

/**
 * Reads a policy document given as a JSON string or as an object. Returns `undefined` when the
 * value is missing or not a policy document (an unparsable string is reported by the caller).
 */
export function parsePolicyDocument(value: unknown): Statement[] | undefined {
  let doc: unknown = value;
  if (typeof value === 'string') {
    if (value.trim() === '') return undefined;
    try {
      doc = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (!isRecord(doc)) return undefined;
  return records(doc.Statement).map((s) => ({
    Sid: str(s.Sid),
    Effect: str(s.Effect) ?? 'Allow',
    Action: list(s.Action).map(String),
    NotAction: list(s.NotAction).map(String),
    Resource: list(s.Resource).map(String),
    NotResource: list(s.NotResource).map(String),
    Principal: s.Principal,
    Condition: rec(s.Condition),
  }));
}

/** IAM wildcard matching (`*` and `?`), case-insensitive as IAM action names are. */
export function iamPatternMatches(pattern: string, value: string): boolean {
  // eslint-disable-next-line security/detect-non-literal-regexp -- the pattern is escaped IAM wildcard text from the policy under check, anchored
  const re = new RegExp(
    '^' +
      pattern
        .split('')
        .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('') +
      '$',
    'i',
  );
  return re.test(value);
}

/** `*`, or a whole-service wildcard such as `s3:*`. */
export function isWildcardAction(action: string): boolean {
  return action === '*' || /^[a-z0-9-]+:\*$/i.test(action);
}

/** `*`, or an ARN whose resource part covers every resource of its service (`arn:aws:s3:::*`). */
export function isWildcardResource(resource: string): boolean {
  if (resource === '*') return true;
  const parts = resource.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return false;
  const service = parts[2];
  const rest = parts.slice(5).join(':');
  if (service === 's3') return /^\*(\/\*)?$/.test(rest);
  return rest === '*' || /^[A-Za-z-]+[:/]\*$/.test(rest);
}

/** Principal `*` or `{ AWS: '*' }`: anyone. */
export function isPublicPrincipal(principal: unknown): boolean {
  if (principal === '*') return true;
  if (isRecord(principal)) return list(principal.AWS).some((p) => p === '*');
  return false;
}

// ---------------------------------------------------------------------------------------------
// Tags
// ---------------------------------------------------------------------------------------------

/** Tags from a provider's `defaultTags` (an object, or the JSON string the AWS provider sends). */
export function providerDefaultTags(providerProps: Props | undefined): Record<string, string> {
  if (!providerProps) return {};
  let dt: unknown = providerProps.defaultTags;
  if (typeof dt === 'string') {
    try {
      dt = JSON.parse(dt);
    } catch {
      return {};
    }
  }
  return stringMap(rec(dt)?.tags);
}

export function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(value)) return out;
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Links between resources (stack policies)
// ---------------------------------------------------------------------------------------------

/**
 * The identifiers other resources use to point at `target` (`id`, physical name, ARN). Under a
 * real preview/update they come from the outputs; under mocks from the mocked state.
 */
export function identifiersOf(target: PolicyResource, nameKeys: readonly string[]): Set<string> {
  const ids = new Set<string>();
  for (const key of ['id', 'arn', ...nameKeys]) {
    const v = knownStr(target.props, key);
    if (v) ids.add(v);
  }
  return ids;
}

/**
 * `props[key]` as a string, or undefined when it is unknown: during a preview the analyzer's proxy
 * throws on unknown values; for matching by value, "unknown" simply means "no match".
 */
export function knownStr(props: Props, key: string): string | undefined {
  try {
    return str(props[key]);
  } catch {
    return undefined;
  }
}

/**
 * The resources of `types` whose `property` refers to `target`, either through the engine's
 * property dependencies (works during preview, when ids are still unknown) or by value.
 */
export function linkedTo(
  resources: readonly PolicyResource[],
  types: readonly string[],
  property: string,
  target: PolicyResource,
  targetNameKeys: readonly string[],
): PolicyResource[] {
  let ids: Set<string> | undefined;
  return resources.filter((r) => {
    if (!types.includes(r.type)) return false;
    const deps = r.propertyDependencies?.[property];
    if (deps && deps.some((d) => d.urn === target.urn)) return true;
    const v = knownStr(r.props, property);
    ids ??= identifiersOf(target, targetNameKeys);
    return v !== undefined && ids.has(v);
  });
}

/** The qualified type chain of a URN: `['tributary:lake:DataLake', 'aws:s3/bucket:Bucket']`. */
export function urnTypeChain(urn: string): string[] {
  const qualified = urn.split('::')[2];
  return qualified ? qualified.split('$') : [];
}

/** True when the bucket sits inside a lake component (by URN, or by its parent chain). */
export function isLakeBucket(bucket: PolicyResource, suffixes = LAKE_COMPONENT_TYPE_SUFFIXES): boolean {
  const matches = (t: string): boolean => suffixes.some((s) => t.endsWith(s));
  if (urnTypeChain(bucket.urn).slice(0, -1).some(matches)) return true;
  for (let p = bucket.parent; p; p = p.parent) if (matches(p.type)) return true;
  return false;
}

/** Type guard used by resource rules that apply to a fixed set of types. */
export function typeIn(args: Pick<ResourceValidationArgs, 'type'>, types: readonly string[]): boolean {
  return types.includes(args.type);
}
