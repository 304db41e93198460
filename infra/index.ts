/** The platform's building blocks. */
export { DataLake, type DataLakeArgs, type DataLakeLifecycleArgs } from './dataLake';
export { AlertingChannel, type AlertingChannelArgs } from './alertingChannel';
export { DocsSite, SITE_KEY, docsSitePolicy, siteReadAccess, type DocsSiteArgs, type SiteReadAccess } from './docsSite';
export { IngestionPipeline, pipelineBranches, type IngestionPipelineArgs, type LakeRef, type AlertsRef, type PipelineFunctionName, type SnowflakeIntegrationArgs } from './ingestionPipeline';
export { DeliveryPipeline, type DeliveryPipelineArgs, type DeliveryDeploymentArgs } from './deliveryPipeline';
export { buildStateMachineDefinition, RECONCILE_INPUT, type StateMachineDefinitionArgs, type BackfillBranchArgs, type ReconcileBranchArgs } from './stateMachine';
export { REQUIRED_TAG_KEYS, defaultTagsTransform, missingTagKeys, registerDefaultTags, type PlatformTags, type TagTransformArgs } from './tags';
export type { AwsEnvironment, PlatformArgs } from './common';
export { DeployRole, StateStore, type DeployRoleArgs, type StateStoreArgs } from './bootstrap';
export { deliveryBuildRoleName, secretsKeyAlias, stackBackendUrl, statePrefix, type StackDeployers } from './statePolicies';
export { PrivateNetwork, DEFAULT_AVAILABILITY_ZONES, DEFAULT_NETWORK_CIDR, type PrivateNetworkArgs } from './network';
export { networkInterfaceStatements, type FunctionNetwork, type NetworkInterfaceTarget } from './vpcAccess';
