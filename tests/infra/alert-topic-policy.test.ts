/**
 * The alert topic's policy, evaluated as IAM would for a same-account request: an explicit Deny
 * wins; otherwise the topic policy's Allow, or (same account only) the caller's identity policy.
 */
import { alertTopicPolicy, type PolicyDocument, type PolicyStatement } from '../../infra/iam';

type Context = Record<string, string | boolean>;
interface Caller {
  /** A role or user ARN, or a service principal (no ARN). */
  readonly arn?: string;
  readonly service?: string;
  /** Whether the caller's own identity policy grants sns:Publish on the topic. */
  readonly identityAllows: boolean;
  readonly context: Context;
}

const ACCOUNT = '111111111111';
const TOPIC = `arn:aws:sns:eu-west-2:${ACCOUNT}:tributary-dev-alerts`;
const policy = alertTopicPolicy({ topicArn: TOPIC, accountId: ACCOUNT, region: 'eu-west-2', partition: 'aws', namePrefix: 'tributary-dev' });

const glob = (pattern: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
const values = (v: string | boolean | readonly string[]): string[] => (Array.isArray(v) ? [...(v as string[])] : [String(v)]);

function conditionHolds(condition: PolicyStatement['Condition'], context: Context): boolean {
  return Object.entries(condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => {
      const present = key in context;
      const actual = String(context[key]);
      const want = values(expected);
      switch (operator) {
        case 'StringEquals':
          return present && want.includes(actual);
        case 'StringNotEquals':
          return !present || !want.includes(actual);
        case 'ArnLike':
          return present && want.some((w) => glob(w).test(actual));
        case 'ArnNotLike':
          return !present || !want.some((w) => glob(w).test(actual));
        case 'Bool':
          return present && want.includes(actual);
        default:
          throw new Error(`operator ${operator} not modelled`);
      }
    }),
  );
}

function principalMatches(statement: PolicyStatement, caller: Caller): boolean {
  const p = statement.Principal;
  if (p === '*') return true;
  if (p && 'Service' in p) return values(p.Service).includes(caller.service ?? '');
  // `arn:…:root` names the account: any principal of it.
  return !!p && values(p.AWS).some((a) => a === caller.arn || (a.endsWith(':root') && !!caller.arn && caller.arn.split(':')[4] === a.split(':')[4]));
}

function mayPublish(doc: PolicyDocument, caller: Caller): boolean {
  const applies = (s: PolicyStatement) => values(s.Action as string).includes('sns:Publish') && s.Resource === TOPIC && principalMatches(s, caller) && conditionHolds(s.Condition, caller.context);
  if (doc.Statement.some((s) => s.Effect === 'Deny' && applies(s))) return false;
  const sameAccount = !!caller.arn && caller.arn.split(':')[4] === ACCOUNT;
  return doc.Statement.some((s) => s.Effect === 'Allow' && applies(s)) || (sameAccount && caller.identityAllows);
}

const role = (name: string, tls = true): Caller => ({
  arn: `arn:aws:iam::${ACCOUNT}:role/${name}`,
  identityAllows: true,
  context: { 'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:role/${name}`, 'aws:SecureTransport': tls },
});
const alarm = (name: string, account = ACCOUNT): Caller => ({
  service: 'cloudwatch.amazonaws.com',
  identityAllows: false,
  context: {
    'aws:PrincipalServiceName': 'cloudwatch.amazonaws.com',
    'aws:SourceArn': `arn:aws:cloudwatch:eu-west-2:${account}:alarm:${name}`,
    'aws:SourceAccount': account,
    'aws:SecureTransport': true,
  },
});

describe('alert topic policy', () => {
  it("admits the stack's functions, state machines and delivery pipeline roles", () => {
    for (const name of ['tributary-dev-totesys-load', 'tributary-dev-totesys-sfn', 'tributary-dev-recurly-extract', 'tributary-dev-delivery-pipeline']) {
      expect([name, mayPublish(policy, role(name))]).toEqual([name, true]);
    }
  });

  it("admits the stack's CloudWatch alarms and no other alarm", () => {
    expect(mayPublish(policy, alarm('tributary-dev-totesys-freshness'))).toBe(true);
    expect(mayPublish(policy, alarm('someone-elses-alarm'))).toBe(false);
    expect(mayPublish(policy, alarm('tributary-dev-totesys-freshness', '222222222222'))).toBe(false);
  });

  it('denies every other principal of the account, even one whose identity policy allows sns:Publish', () => {
    expect(mayPublish(policy, role('ops-admin'))).toBe(false);
    expect(mayPublish(policy, role('tributary-dev2-extract'))).toBe(false);
    const user = `arn:aws:iam::${ACCOUNT}:user/alice`;
    expect(mayPublish(policy, { arn: user, identityAllows: true, context: { 'aws:PrincipalArn': user, 'aws:SecureTransport': true } })).toBe(false);
    // The control: without the topic policy, that identity policy alone would let them post to Slack.
    expect(mayPublish({ Version: '2012-10-17', Statement: [] }, role('ops-admin'))).toBe(true);
  });

  it('denies a publish without TLS, even from a stack role', () => {
    expect(mayPublish(policy, role('tributary-dev-totesys-load', false))).toBe(false);
  });
});
