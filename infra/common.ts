/**
 * Small shared types and helpers of the components. No resources are created here.
 */
import type { PlatformTags } from './tags';

/** The account and region a component deploys into (the stack's explicit provider points there). */
export interface AwsEnvironment {
  /** 12-digit account id, used in ARNs the components build before the resources exist. */
  readonly accountId: string;
  readonly region: string;
  /** ARN partition; `aws` unless GovCloud or China. */
  readonly partition?: string;
}

/** Arguments every component takes. */
export interface PlatformArgs {
  /** Environment name (`dev`, `prod`): part of every physical name. */
  readonly environment: string;
  readonly aws: AwsEnvironment;
  /** Tags for every taggable child: must carry the required keys (see tags.ts). */
  readonly tags: PlatformTags;
}

/** The Lambda runtime every function uses. */
export const LAMBDA_RUNTIME = 'nodejs22.x';
/** CPU architecture of the functions and of the native layer built on this machine. */
export const LAMBDA_ARCHITECTURE = 'x86_64';

export function partitionOf(env: AwsEnvironment): string {
  return env.partition ?? 'aws';
}

/** The tags plus a `Name`, for consoles that display it. */
export function withName(tags: PlatformTags, name: string): Record<string, string> {
  return { ...tags, Name: name };
}
