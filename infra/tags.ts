import * as pulumi from '@pulumi/pulumi';
import { REQUIRED_TAG_KEYS, type RequiredTagKey } from '../runtime/contract/tags';

/** The required keys live in the contract module, which the policy pack enforces as well. */
export { REQUIRED_TAG_KEYS, type RequiredTagKey };

/** The tags every taggable resource carries: the required keys, plus any extra ones. */
export type PlatformTags = Readonly<Record<RequiredTagKey, string>> & Readonly<Record<string, string>>;

/** The required keys that `tags` lacks (absent or blank). */
export function missingTagKeys(tags: Readonly<Record<string, unknown>> | undefined): RequiredTagKey[] {
  return REQUIRED_TAG_KEYS.filter((key) => {
    const value = tags?.[key];
    return typeof value !== 'string' || value.trim() === '';
  });
}

/** What a tag transform sees and returns: the shape both Pulumi transform APIs share. */
export interface TagTransformArgs {
  readonly type: string;
  readonly props: Record<string, unknown>;
  readonly opts: pulumi.ResourceOptions;
}

/**
 * Fills in the platform tags a resource lacks (its own values win). It applies to resources whose
 * SDK class takes `tags` (the key is among the props, even when unset), which covers resources the
 * provider's defaultTags do not reach: another provider's resources, components such as awsx's
 * Vpc that hand `tags` to their children, and (under a real engine) those children themselves.
 */
export function defaultTagsTransform(tags: PlatformTags): (args: TagTransformArgs) => { props: Record<string, unknown>; opts: pulumi.ResourceOptions } | undefined {
  return ({ type, props, opts }) => {
    if (type.startsWith('pulumi:') || !('tags' in props)) return undefined;
    const own = props.tags;
    const merged =
      own === undefined || own === null
        ? { ...tags }
        : pulumi.output(own as pulumi.Input<Record<string, pulumi.Input<string>>>).apply((t) => ({ ...tags, ...t }));
    return { props: { ...props, tags: merged }, opts };
  };
}

/**
 * Registers the tag transform for the whole stack (`registerResourceTransform`, which the engine
 * also runs on remote components' children). Pulumi's mocks (and CLIs before 3.118) refuse it:
 * then the returned options carry it as an in-process `transformations` entry, which covers each
 * component given them and its children. Pass the result to every top-level component.
 */
export function registerDefaultTags(tags: PlatformTags): pulumi.ComponentResourceOptions {
  const transform = defaultTagsTransform(tags);
  try {
    pulumi.runtime.registerResourceTransform((args) => transform(args));
    return {};
  } catch (e) {
    if (!/does not support transforms/.test(e instanceof Error ? e.message : String(e))) throw e;
    return { transformations: [transform] };
  }
}
