/**
 * What a warehouse kind needs from AWS beyond the load function's role, children of the
 * IngestionPipeline. Snowflake reads the processed zone itself (external stage → COPY INTO)
 * through a storage integration that assumes a role: read-only on `processed/*`, decrypt with
 * the lake key. Redshift's COPY assumes a role of the same reach.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { redshiftCopyPolicy, redshiftCopyTrustPolicy, snowflakeStagePolicy, snowflakeTrustPolicy } from './iam';

/** The Snowflake storage integration's identity (`DESC INTEGRATION`: STORAGE_AWS_IAM_USER_ARN, STORAGE_AWS_EXTERNAL_ID). */
export interface SnowflakeIntegrationArgs {
  readonly iamUserArn: string;
  readonly externalId: string;
}

export interface WarehouseAccessArgs {
  readonly prefix: string;
  readonly processedBucketArn: pulumi.Input<string>;
  readonly lakeKeyArn: pulumi.Input<string>;
  readonly tags: Record<string, string>;
}

export function createSnowflakeStageRole(name: string, integration: SnowflakeIntegrationArgs, args: WarehouseAccessArgs, parent: pulumi.Resource): aws.iam.Role {
  const role = new aws.iam.Role(
    `${name}-snowflake-role`,
    { name: `${args.prefix}-snowflake`, assumeRolePolicy: JSON.stringify(snowflakeTrustPolicy(integration.iamUserArn, integration.externalId)), tags: args.tags },
    { parent },
  );
  new aws.iam.RolePolicy(
    `${name}-snowflake-policy`,
    {
      role: role.name,
      name: 'least-privilege',
      policy: pulumi.all([args.processedBucketArn, args.lakeKeyArn]).apply(([processed, key]) => JSON.stringify(snowflakeStagePolicy(processed, key))),
    },
    { parent },
  );
  return role;
}

/**
 * The role Redshift assumes for `COPY … IAM_ROLE`: read-only on `processed/*`, decrypt with the
 * lake key. Attach it to the workgroup's namespace (or the cluster); its ARN is a stack output.
 */
export function createRedshiftCopyRole(name: string, accountId: string, args: WarehouseAccessArgs, parent: pulumi.Resource): aws.iam.Role {
  const role = new aws.iam.Role(
    `${name}-redshift-copy-role`,
    { name: `${args.prefix}-redshift-copy`, assumeRolePolicy: JSON.stringify(redshiftCopyTrustPolicy(accountId)), tags: args.tags },
    { parent },
  );
  new aws.iam.RolePolicy(
    `${name}-redshift-copy-policy`,
    {
      role: role.name,
      name: 'least-privilege',
      policy: pulumi.all([args.processedBucketArn, args.lakeKeyArn]).apply(([processed, key]) => JSON.stringify(redshiftCopyPolicy(processed, key))),
    },
    { parent },
  );
  return role;
}
