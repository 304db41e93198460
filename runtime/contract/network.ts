/**
 * What a pipeline's kinds ask of the network, shared by stacks/ (config validation), infra/ (the
 * endpoints a created VPC gets) and policies/ (a pipeline reading a private database runs in a
 * VPC). Pulumi-free.
 */
import type { SourceKind, WarehouseKind } from './kinds';

/** Kinds reached over a database connection, which AWS keeps in private subnets (RDS, Aurora, EC2). */
export const PRIVATE_SOURCE_KINDS: readonly SourceKind[] = ['postgres'];
export const PRIVATE_WAREHOUSE_KINDS: readonly WarehouseKind[] = ['postgres'];

/**
 * Kinds reached over the public internet: a REST API, Snowflake (its PrivateLink needs the
 * Business Critical edition, so it is not assumed). In a VPC their functions need a NAT gateway.
 */
export const INTERNET_SOURCE_KINDS: readonly SourceKind[] = ['rest'];
export const INTERNET_WAREHOUSE_KINDS: readonly WarehouseKind[] = ['snowflake'];

/**
 * AWS services every function calls (Secrets Manager, SNS alerts, KMS for the lake and topic keys,
 * CloudWatch Logs, STS, Step Functions): interface endpoints of a created VPC. S3 is reached
 * through a gateway endpoint (free, route-table based) instead.
 */
export const VPC_INTERFACE_SERVICES = ['secretsmanager', 'sns', 'kms', 'logs', 'sts', 'states'] as const;

/** Interface endpoints a warehouse kind adds: Redshift loads through the Data API. */
export const WAREHOUSE_INTERFACE_SERVICES: Readonly<Partial<Record<WarehouseKind, readonly string[]>>> = {
  redshift: ['redshift-data'],
};

export interface PipelineNetworkNeeds {
  /** The source or warehouse is a private database: the pipeline must run in a VPC. */
  readonly private: boolean;
  /** The source or warehouse is on the internet: in a VPC, the pipeline needs a NAT gateway. */
  readonly internet: boolean;
  /** Interface endpoints beyond VPC_INTERFACE_SERVICES. */
  readonly extraServices: readonly string[];
}

export function pipelineNetworkNeeds(source: SourceKind, warehouse: WarehouseKind): PipelineNetworkNeeds {
  return {
    private: PRIVATE_SOURCE_KINDS.includes(source) || PRIVATE_WAREHOUSE_KINDS.includes(warehouse),
    internet: INTERNET_SOURCE_KINDS.includes(source) || INTERNET_WAREHOUSE_KINDS.includes(warehouse),
    extraServices: WAREHOUSE_INTERFACE_SERVICES[warehouse] ?? [],
  };
}
