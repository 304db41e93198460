/** The compliant fixture program, run under Pulumi mocks, passes every policy. */
import { join } from 'node:path';
import { evaluatePolicies, violationsOf } from '../../policies/evaluate';
import { policies } from '../../policies/rules';
import { captureProgram } from './support/captureProgram';

test('a compliant program fires no policy', async () => {
  const resources = await captureProgram(join(__dirname, 'fixtures', 'compliant'));
  expect(resources.length).toBeGreaterThan(20);
  const outcomes = await evaluatePolicies(policies, resources);
  expect(violationsOf(outcomes, ['mandatory', 'advisory']).map((v) => `${v.policy}: ${v.message}`)).toEqual(
    [],
  );
  // The lake bucket is recognised as such (its URN carries the DataLake parent type).
  expect(resources.find((r) => r.name === 'lake-raw')?.urn).toContain(
    'tributary:lake:DataLake$aws:s3/bucket:Bucket',
  );
}, 240_000);
