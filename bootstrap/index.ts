/**
 * The bootstrap program: per account, the deploy role the tributary stack of that account
 * assumes; in the account that holds them, the Pulumi state store. Run once per account by an
 * administrator, before the first `pulumi up` of dev and prod (docs/deploy.md).
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { DeployRole, StateStore } from '../infra/bootstrap';
import { registerDefaultTags } from '../infra/tags';
import { BOOTSTRAP_NAMESPACE, validateBootstrapConfig } from './config';

const prefix = `${BOOTSTRAP_NAMESPACE}:`;
const cfg = validateBootstrapConfig(
  Object.fromEntries(Object.entries(pulumi.runtime.allConfig()).flatMap(([k, v]) => (k.startsWith(prefix) ? [[k.slice(prefix.length), v]] : []))),
);
const env = { accountId: cfg.accountId, region: cfg.region };
const common = { environment: cfg.environment, aws: env, tags: cfg.tags };

// The administrator's own credentials; allowedAccountIds stops a shell pointed at another account.
const provider = new aws.Provider(`aws-bootstrap-${cfg.environment}`, {
  region: cfg.region as aws.Region,
  allowedAccountIds: [cfg.accountId],
  defaultTags: { tags: cfg.tags },
});
const opts = { providers: [provider], ...registerDefaultTags(cfg.tags) };

const deployRole = new DeployRole('deploy', { ...common, trustedPrincipalArns: cfg.deployRole.trustedPrincipalArns, delivery: cfg.deployRole.delivery }, opts);
const store = cfg.stateStore
  ? new StateStore('state', { ...common, project: 'tributary', bucketName: cfg.stateStore.bucketName, stacks: cfg.stateStore.stacks }, opts)
  : undefined;

export const deployRoleArn = deployRole.roleArn;
export const stateBucket = store?.bucketName;
export const stateKeyArn = store?.stateKeyArn;
export const secretsKeyArns = store?.secretsKeyArns;
/** `pulumi stack init <stack> --secrets-provider <this>` and `pulumi login s3://<bucket>/<stack>`. */
export const secretsProviders = store?.secretsProviders;
export const backendUrls = store ? Object.fromEntries(cfg.stateStore!.stacks.map((s) => [s.stack, `s3://${cfg.stateStore!.bucketName}/${s.stack}`])) : undefined;
