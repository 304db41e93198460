/**
 * `npm run test:steps` (what `npm test` runs inside scripts/private-tmp.sh): every check of the
 * test command, in two lanes so that it fits the project's 10 minutes on 2 cores.
 *
 *   build ─┬─ rehearse (dev and prod, concurrently: scripts/rehearse/index.ts)
 *          └─ typecheck → lint → lint:lockfile → scan:secrets → policy:check → jest --coverage
 *
 * Run one after another they took 12–14 minutes, with the rehearsal mostly one Lambda child at a
 * time (one core) and the static checks one process each. The bundles are built once, first: the
 * rehearsal and the jest suites that need them (tests/infra/stacks.test.ts, tests/rehearse/)
 * read that build (TRIBUTARY_BUNDLES_BUILT tells stacks.test.ts not to rebuild dist/ while the
 * rehearsal runs its bundles). A lane stops at its first failing step; the other runs to its
 * end, so one run reports both. Every line is prefixed with its step; a table of the steps'
 * wall times closes the run. TEST_STEPS_SEQUENTIAL=1 runs the steps one after another instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';

interface Step {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Record<string, string>;
}

interface Outcome {
  readonly step: string;
  readonly startedAt: number;
  readonly seconds: number;
  readonly code: number;
}

const npmRun = (script: string, ...args: string[]): Step => ({ name: script, command: 'npm', args: ['run', '--silent', script, ...(args.length ? ['--', ...args] : [])] });

const BUILD: Step = { ...npmRun('build', '--skip-layer-size'), name: 'build' };
const REHEARSE: Step = { name: 'rehearse', command: 'tsx', args: ['scripts/rehearse/index.ts'] };
const CHECKS: Step[] = ['typecheck', 'lint', 'lint:lockfile', 'scan:secrets', 'policy:check'].map((s) => npmRun(s));
const JEST: Step = { name: 'jest', command: 'jest', args: ['--coverage'], env: { TRIBUTARY_BUNDLES_BUILT: '1' } };

const t0 = Date.now();
const running = new Set<ChildProcess>();
const outcomes: Outcome[] = [];

/** Writes the child's output line by line, each prefixed with its step (the lanes interleave). */
function prefixed(name: string, stream: NodeJS.ReadableStream, write: (s: string) => void): () => void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) write(`[${name}] ${line}\n`);
  });
  return () => {
    if (rest) write(`[${name}] ${rest}\n`);
    rest = '';
  };
}

function runStep(step: Step): Promise<number> {
  const startedAt = Date.now();
  process.stdout.write(`[${step.name}] started at +${((startedAt - t0) / 1000).toFixed(0)} s\n`);
  return new Promise((resolve) => {
    const child = spawn(step.command, step.args, { env: { ...process.env, ...step.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    const flushOut = prefixed(step.name, child.stdout!, (s) => process.stdout.write(s));
    const flushErr = prefixed(step.name, child.stderr!, (s) => process.stderr.write(s));
    const done = (code: number) => {
      running.delete(child);
      flushOut();
      flushErr();
      const seconds = (Date.now() - startedAt) / 1000;
      outcomes.push({ step: step.name, startedAt: (startedAt - t0) / 1000, seconds, code });
      process.stdout.write(`[${step.name}] ${code === 0 ? 'passed' : `FAILED (exit ${code})`} in ${seconds.toFixed(1)} s\n`);
      resolve(code);
    };
    child.on('error', (err) => {
      process.stderr.write(`[${step.name}] could not start: ${err.message}\n`);
      done(127);
    });
    child.on('close', (code, signal) => done(code ?? (signal ? 128 : 1)));
  });
}

/** Runs the steps in order, stopping at the first that fails; resolves true when all passed. */
async function lane(steps: readonly Step[]): Promise<boolean> {
  for (const step of steps) if ((await runStep(step)) !== 0) return false;
  return true;
}

async function main(): Promise<number> {
  // A stopped run (Ctrl-C, CI's timeout) stops the steps too: the embedded servers and moto stop with them.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      for (const child of running) child.kill(signal);
      process.exitCode = 130;
    });
  let ok: boolean;
  if (process.env.TEST_STEPS_SEQUENTIAL) ok = await lane([...CHECKS, BUILD, REHEARSE, JEST]);
  else {
    const built = runStep(BUILD);
    const lanes = await Promise.all([built.then((code) => code === 0 && lane([REHEARSE])), lane(CHECKS).then(async (passed) => passed && (await built) === 0 && lane([JEST]))]);
    ok = lanes.every(Boolean);
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out('');
  out('step             start s   wall s  result');
  for (const o of [...outcomes].sort((a, b) => a.startedAt - b.startedAt))
    out(`${o.step.padEnd(16)} ${o.startedAt.toFixed(0).padStart(7)}  ${o.seconds.toFixed(1).padStart(7)}  ${o.code === 0 ? 'passed' : `FAILED (${o.code})`}`);
  out(`test steps: ${((Date.now() - t0) / 1000).toFixed(0)} s wall, ${ok ? 'all passed' : 'FAILED'}`);
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(process.exitCode || code),
  (err: unknown) => {
    process.stderr.write(`test steps: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
