/**
 * Least privilege for identity policies (inline role/user/group policies, managed policies and
 * role inline policies): no wildcard actions, no data-plane actions on `*` resources, and no AWS
 * administrative managed policies attached.
 */
import type { ResourceValidationArgs, ResourceValidationPolicy } from '@pulumi/policy';
import { DATA_PLANE_ACTIONS, FORBIDDEN_MANAGED_POLICY_NAMES } from '../constants';
import {
  T,
  describe,
  iamPatternMatches,
  isWildcardAction,
  isWildcardResource,
  list,
  parsePolicyDocument,
  records,
  str,
  type Statement,
} from './util';

interface NamedDocument {
  /** Where the document sits, e.g. `policy` or `inlinePolicies[0] (name)`. */
  where: string;
  statements: Statement[];
}

/** The identity-policy documents a resource carries (empty for other resource types). */
export function identityDocuments(args: Pick<ResourceValidationArgs, 'type' | 'props'>): NamedDocument[] {
  const out: NamedDocument[] = [];
  const add = (where: string, value: unknown): void => {
    const statements = parsePolicyDocument(value);
    if (statements) out.push({ where, statements });
  };
  switch (args.type) {
    case T.iamRolePolicy:
    case T.iamUserPolicy:
    case T.iamGroupPolicy:
    case T.iamPolicy:
      add('policy', args.props.policy);
      break;
    case T.iamRole:
      records(args.props.inlinePolicies).forEach((p, i) =>
        add(`inlinePolicies[${i}]${str(p.name) ? ` (${String(p.name)})` : ''}`, p.policy),
      );
      break;
  }
  return out;
}

function statementLabel(doc: NamedDocument, s: Statement, index: number): string {
  return `${doc.where} statement ${s.Sid ? `'${s.Sid}'` : `#${index}`}`;
}

export const iamNoWildcardAction: ResourceValidationPolicy = {
  name: 'iam-no-wildcard-action',
  description:
    'No IAM identity policy statement allows `*`, a whole-service wildcard (`s3:*`) or uses NotAction.',
  enforcementLevel: 'mandatory',
  severity: 'critical',
  validateResource: (args, reportViolation) => {
    for (const doc of identityDocuments(args)) {
      doc.statements.forEach((s, i) => {
        if (s.Effect !== 'Allow') return;
        const wild = s.Action.filter(isWildcardAction);
        if (wild.length === 0 && s.NotAction.length === 0) return;
        const what =
          wild.length > 0
            ? `allows ${wild.map((a) => `'${a}'`).join(', ')}`
            : 'allows everything but a NotAction list';
        reportViolation(
          `IAM ${describe(args)} ${statementLabel(doc, s, i)} ${what}. Fix: list the exact actions the principal needs.`,
        );
      });
    }
  },
};

/**
 * KMS use on keys whose ids are not known beforehand (a deploy role writing secret values) is
 * acceptable when `kms:ViaService` pins it to a service call: the principal cannot decrypt
 * directly, only what that service does on its behalf.
 */
function keyUseThroughServiceOnly(s: Statement, dataPlane: readonly string[]): boolean {
  if (!dataPlane.every((a) => a.startsWith('kms:'))) return false;
  const equals = (s.Condition as Record<string, Record<string, unknown>> | undefined)?.StringEquals;
  const via = equals?.['kms:ViaService'];
  return (typeof via === 'string' && via !== '*') || (Array.isArray(via) && via.length > 0 && !via.includes('*'));
}

export const iamNoWildcardResourceDataPlane: ResourceValidationPolicy = {
  name: 'iam-no-wildcard-resource-data-plane',
  description:
    'No IAM identity policy statement allows a data-plane action (s3:GetObject/PutObject, kms:Decrypt, ' +
    'secretsmanager:GetSecretValue, ...) on a `*` resource.',
  enforcementLevel: 'mandatory',
  severity: 'high',
  validateResource: (args, reportViolation) => {
    for (const doc of identityDocuments(args)) {
      doc.statements.forEach((s, i) => {
        if (s.Effect !== 'Allow') return;
        const wideResource = s.NotResource.length > 0 || s.Resource.some(isWildcardResource);
        if (!wideResource) return;
        const dataPlane =
          s.NotAction.length > 0
            ? [...DATA_PLANE_ACTIONS]
            : DATA_PLANE_ACTIONS.filter((d) => s.Action.some((a) => iamPatternMatches(a, d)));
        if (dataPlane.length === 0 || keyUseThroughServiceOnly(s, dataPlane)) return;
        reportViolation(
          `IAM ${describe(args)} ${statementLabel(doc, s, i)} allows ${dataPlane.slice(0, 4).join(', ')}` +
            `${dataPlane.length > 4 ? ', ...' : ''} on resource '${[...s.Resource, ...s.NotResource].join("', '")}'. ` +
            `Fix: scope Resource to the exact bucket prefixes, key, secret or function ARNs.`,
        );
      });
    }
  },
};

/** True for AWS-managed administrative policies (AdministratorAccess, PowerUserAccess, *FullAccess, ...). */
export function isForbiddenManagedPolicy(arn: string): boolean {
  // eslint-disable-next-line security/detect-unsafe-regex -- anchored, one optional group over an ARN string of bounded length
  const m = /^arn:aws[a-z-]*:iam::aws:policy\/(?:.*\/)?([^/]+)$/.exec(arn);
  if (!m) return false;
  return FORBIDDEN_MANAGED_POLICY_NAMES.includes(m[1]) || m[1].endsWith('FullAccess');
}

export const iamNoAdminManagedPolicy: ResourceValidationPolicy = {
  name: 'iam-no-admin-managed-policy',
  description:
    'No role, user or group gets an AWS administrative managed policy (AdministratorAccess, PowerUserAccess, *FullAccess).',
  enforcementLevel: 'mandatory',
  severity: 'critical',
  validateResource: (args, reportViolation) => {
    let arns: unknown[] = [];
    switch (args.type) {
      case T.iamRolePolicyAttachment:
      case T.iamUserPolicyAttachment:
      case T.iamGroupPolicyAttachment:
      case T.iamPolicyAttachment:
        arns = [args.props.policyArn];
        break;
      case T.iamRole:
        arns = list(args.props.managedPolicyArns);
        break;
      case T.iamRolePolicyAttachmentsExclusive:
        arns = list(args.props.policyArns);
        break;
      default:
        return;
    }
    for (const arn of arns) {
      if (typeof arn === 'string' && isForbiddenManagedPolicy(arn)) {
        reportViolation(
          `IAM ${describe(args)} attaches the AWS administrative policy '${arn}'. Fix: replace it with a ` +
            `least-privilege inline policy scoped to the resources the principal uses.`,
        );
      }
    }
  },
};

export const iamPolicies = [iamNoWildcardAction, iamNoWildcardResourceDataPlane, iamNoAdminManagedPolicy];
