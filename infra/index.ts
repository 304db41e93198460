/** The platform's building blocks. */
export { DataLake, type DataLakeArgs, type DataLakeLifecycleArgs } from './dataLake';
export { AlertingChannel, type AlertingChannelArgs } from './alertingChannel';
export { IngestionPipeline, type IngestionPipelineArgs, type LakeRef, type AlertsRef } from './ingestionPipeline';
export { DeliveryPipeline, type DeliveryPipelineArgs, type DeliveryDeploymentArgs } from './deliveryPipeline';
export { buildStateMachineDefinition, type StateMachineDefinitionArgs } from './stateMachine';
export { REQUIRED_TAG_KEYS, missingTagKeys, type PlatformTags } from './tags';
export type { AwsEnvironment, PlatformArgs } from './common';
