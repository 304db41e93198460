/**
 * A small evaluator of IAM policy documents, enough to ask "may this principal do this action on
 * this resource" of the documents the components build: Action/Resource patterns (`*`, `?`),
 * Principal (`*`, account roots, ARNs) and the condition operators the platform uses. Unknown
 * operators throw, so a document that starts using one cannot pass by being misread.
 */
export interface IamRequest {
  readonly action: string;
  readonly resource: string;
  /** Condition keys of the request: `aws:PrincipalArn`, `s3:prefix`, `kms:ViaService`, … */
  readonly context?: Readonly<Record<string, string>>;
}

interface Statement {
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  Resource?: string | string[];
  Principal?: '*' | { AWS?: string | string[]; Service?: string | string[] };
  Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

interface Document {
  Statement: Statement[];
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function glob(pattern: string, value: string, caseInsensitive = false): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, caseInsensitive ? 'i' : '');
  return re.test(value);
}

function conditionHolds(condition: Statement['Condition'], context: Readonly<Record<string, string>>): boolean {
  for (const [operator, entries] of Object.entries(condition ?? {})) {
    for (const [key, expected] of Object.entries(entries)) {
      const actual = context[key];
      const values = list(expected as string | string[]).map(String);
      const any = (match: (p: string, a: string) => boolean): boolean => actual !== undefined && values.some((v) => match(v, actual));
      let ok: boolean;
      switch (operator) {
        case 'StringEquals':
        case 'ArnEquals':
        case 'Bool':
          ok = any((v, a) => v === a);
          break;
        case 'StringLike':
        case 'ArnLike':
          ok = any(glob);
          break;
        case 'StringNotEquals':
          ok = !any((v, a) => v === a);
          break;
        case 'ArnNotLike':
        case 'StringNotLike':
          ok = !any(glob);
          break;
        default:
          throw new Error(`iam-evaluate: condition operator ${operator} not supported`);
      }
      if (!ok) return false;
    }
  }
  return true;
}

function principalMatches(principal: Statement['Principal'], principalArn: string): boolean {
  if (principal === undefined) return true; // identity policy: the principal is the holder
  if (principal === '*') return true;
  const account = /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):/.exec(principalArn)?.[1];
  return list(principal.AWS).some((p) => p === '*' || p === principalArn || p === `arn:aws:iam::${account}:root` || p === account);
}

function matches(s: Statement, principalArn: string, req: IamRequest): boolean {
  const context = { 'aws:PrincipalArn': principalArn, ...(req.context ?? {}) };
  return (
    principalMatches(s.Principal, principalArn) &&
    list(s.Action).some((a) => glob(a, req.action, true)) &&
    (s.Resource === undefined || list(s.Resource).some((r) => glob(r, req.resource))) &&
    conditionHolds(s.Condition, context)
  );
}

/** `deny` (an explicit Deny matches), `allow` (an Allow matches, no Deny), or `none`. */
export function decide(doc: Document | string, principalArn: string, req: IamRequest): 'allow' | 'deny' | 'none' {
  const parsed = (typeof doc === 'string' ? JSON.parse(doc) : doc) as Document;
  const hits = parsed.Statement.filter((s) => matches(s, principalArn, req));
  if (hits.some((s) => s.Effect === 'Deny')) return 'deny';
  return hits.some((s) => s.Effect === 'Allow') ? 'allow' : 'none';
}
