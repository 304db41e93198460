/**
 * `npm run policy:check`: evaluates the `tributary-guardrails` policy pack offline over every stack
 * that has a `Pulumi.<stack>.yaml`. Each stack's program runs under Pulumi mocks (the infra
 * harness `captureStack`); every resource and stack policy is applied to the captured resources.
 * Prints a policies × stacks table and the violations; exits 1 on any mandatory violation (or a
 * stack that fails to run), 0 otherwise.
 *
 *   npm run policy:check                 # every stack
 *   npm run policy:check -- dev          # only the named stacks
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  evaluatePolicies,
  formatTable,
  violationsOf,
  type CapturedResource,
  type PolicyOutcome,
} from '../policies/evaluate';
import { policies } from '../policies/rules';

const ROOT = resolve(__dirname, '..');
const HARNESS = join(ROOT, 'tests', 'support', 'pulumiMocks.ts');

/** A stack label: `dev` for the main program, `bootstrap/dev` for a program in a folder. */
type Capture = (label: string) => Promise<CapturedResource[]>;
/** Programs with their own Pulumi.yaml in a folder of the repository, checked like the main one. */
const PROGRAM_DIRS = ['bootstrap'];
interface Harness {
  capture: Capture;
  /** Whether an AWS type takes `tags`, read from the @pulumi/aws SDK (optional). */
  isTaggableType?: (type: string) => boolean;
}

/** Stacks with a `Pulumi.<stack>.yaml` next to `Pulumi.yaml`. */
export function discoverStacks(rootDir: string = ROOT): string[] {
  const stacksIn = (dir: string): string[] =>
    existsSync(join(dir, 'Pulumi.yaml'))
      ? readdirSync(dir)
          .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
          .filter((s): s is string => s !== undefined)
          .sort()
      : [];
  return [...stacksIn(rootDir), ...PROGRAM_DIRS.flatMap((d) => stacksIn(join(rootDir, d)).map((s) => `${d}/${s}`))];
}

async function loadHarness(): Promise<Harness | undefined> {
  if (!existsSync(HARNESS)) return undefined;
  const harness = (await import(HARNESS)) as {
    captureStack?: (stack: never, options?: { projectDir?: string }) => Promise<CapturedResource[]>;
    isTaggableType?: (type: string) => boolean;
  };
  const capture = harness.captureStack;
  return capture
    ? {
        capture: (label: string) => {
          const [dir, stack] = label.includes('/') ? label.split('/') : ['.', label];
          return capture(stack as never, { projectDir: dir });
        },
        isTaggableType: harness.isTaggableType,
      }
    : undefined;
}

async function main(argv: string[]): Promise<number> {
  const requested = argv.filter((a) => !a.startsWith('-'));
  const stacks = requested.length > 0 ? requested : discoverStacks();
  if (stacks.length === 0 || !existsSync(join(ROOT, 'Pulumi.yaml'))) {
    console.log('policy:check: no Pulumi.yaml / Pulumi.<stack>.yaml yet, nothing to evaluate.');
    return 0;
  }
  const harness = await loadHarness();
  if (!harness) {
    console.log(`policy:check: the mock harness (${HARNESS}) is not there yet, nothing to evaluate.`);
    return 0;
  }

  const results = new Map<string, PolicyOutcome[]>();
  const failedStacks: string[] = [];
  await Promise.all(
    stacks.map(async (stack) => {
      try {
        const resources = await harness.capture(stack);
        // Every AWS type the SDK says takes tags is checked, even one the pack's list lacks.
        const extraTaggableTypes = [...new Set(resources.map((r) => r.type))].filter((t) =>
          harness.isTaggableType?.(t),
        );
        const config = { 'required-tags': { extraTaggableTypes } };
        results.set(stack, await evaluatePolicies(policies, resources, { config }));
        console.log(`policy:check: ${stack}: ${resources.length} resources captured`);
      } catch (e) {
        failedStacks.push(stack);
        console.error(
          `policy:check: stack ${stack} could not be evaluated:\n${e instanceof Error ? e.message : String(e)}`,
        );
      }
    }),
  );

  const ordered = new Map([...results.entries()].sort(([a], [b]) => a.localeCompare(b)));
  console.log(`\ntributary-guardrails (${policies.length} policies) × stacks\n`);
  console.log(formatTable(ordered));

  let mandatory = 0;
  for (const [stack, outcomes] of ordered) {
    const all = violationsOf(outcomes, ['mandatory', 'advisory']);
    if (all.length === 0) continue;
    console.log(`\n${stack}:`);
    for (const v of all) console.log(`  [${v.enforcementLevel}] ${v.policy}: ${v.message}`);
    mandatory += violationsOf(outcomes).length;
  }
  const evaluated = [...ordered.keys()].join(', ') || 'none';
  console.log(
    `\npolicy:check: stacks evaluated: ${evaluated}; mandatory violations: ${mandatory}` +
      (failedStacks.length > 0 ? `; stacks that failed to run: ${failedStacks.join(', ')}` : ''),
  );
  return mandatory > 0 || failedStacks.length > 0 ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
      process.exit(2);
    },
  );
}
