/**
 * The deliberately non-compliant fixture program, run under Pulumi mocks, makes every policy fire
 * exactly on the resources built to break it, and nowhere else.
 */
import { join } from 'node:path';
import { evaluatePolicies, type PolicyOutcome } from '../../policies/evaluate';
import { policies } from '../../policies/rules';
import { captureProgram } from './support/captureProgram';

let outcomes: PolicyOutcome[];

beforeAll(async () => {
  const resources = await captureProgram(join(__dirname, 'fixtures', 'noncompliant'));
  outcomes = await evaluatePolicies(policies, resources);
}, 240_000);

const EXPECTED: Array<[string, string]> = [
  ['s3-bucket-kms-encryption', 'bucket-aes'],
  ['s3-bucket-public-access-block', 'bucket-open'],
  ['s3-bucket-tls-only', 'bucket-no-tls'],
  ['s3-lake-bucket-versioning', 'lake-raw'],
  ['kms-key-rotation', 'key-static'],
  ['sns-topic-kms-encryption', 'topic-plain'],
  ['secret-kms-encryption', 'secret-default-key'],
  ['log-group-kms-encryption', 'logs-plain'],
  ['codebuild-kms-encryption', 'build-unencrypted'],
  ['codepipeline-artifact-kms-encryption', 'pipeline-s3-managed'],
  ['required-tags', 'queue-untagged'],
  ['log-group-retention', 'logs-forever'],
  ['lambda-failure-destination', 'fn-no-dlq'],
  ['lambda-explicit-timeout', 'fn-default-timeout'],
  ['lambda-allowed-runtime', 'fn-python'],
  ['lambda-no-public-url', 'url-public'],
  ['lambda-no-public-permission', 'permission-public'],
  ['lambda-no-public-permission', 'permission-unscoped-sns'],
  ['private-pipeline-in-vpc', 'fn-private-no-vpc'],
  ['iam-no-wildcard-action', 'policy-star-action'],
  ['iam-no-wildcard-resource-data-plane', 'policy-star-resource'],
  ['iam-no-admin-managed-policy', 'attach-admin'],
];

test('every policy fires exactly where expected', () => {
  const actual = outcomes
    .flatMap((o) => o.violations)
    .map((v) => `${v.policy} -> ${v.resourceName}`)
    .sort();
  expect(actual).toEqual(EXPECTED.map(([p, r]) => `${p} -> ${r}`).sort());
});

test('every policy of the pack is exercised by the fixture', () => {
  const fired = new Set(outcomes.filter((o) => o.violations.length > 0).map((o) => o.policy));
  expect(policies.map((p) => p.name).filter((n) => !fired.has(n))).toEqual([]);
});

test('every violation is mandatory and names the resource and a fix', () => {
  for (const v of outcomes.flatMap((o) => o.violations)) {
    expect(v.enforcementLevel).toBe('mandatory');
    expect(v.message).toContain(`'${v.resourceName}'`);
    expect(v.message).toMatch(/Fix: /);
    expect(v.urn).toMatch(/^urn:pulumi:fixture::tributary::/);
  }
});
