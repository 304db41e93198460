/**
 * Invocations of a deployed function as its built bundle, in execution environments kept warm
 * as Lambda keeps them: a child process per environment (scripts/rehearse/lambda-runner.js)
 * with exactly the function's environment plus what Lambda's runtime sets (region, function
 * name, memory, role credentials, the layer at /opt/nodejs/node_modules → NODE_PATH), its
 * memory as the V8 heap limit, a private /tmp (TMPDIR) that lasts as long as the environment
 * and is measured against its configured limit, and its timeout per invocation. An idle
 * environment of the same function and configuration serves the next invocation (a warm
 * start: module state, cached secrets and /tmp carry over); a busy one does not, so a Map's
 * concurrent invocations get environments of their own. Endpoint variables point the SDK at the
 * local services (named in `substitutions`). Before, every invocation was a new process: the
 * bundles' 0.5–1.4 s cold starts were most of the rehearsal's CPU.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { DeployedFunction } from './stack';

export interface InvocationResult {
  readonly ok: boolean;
  readonly payload?: unknown;
  readonly error?: { errorType: string; errorMessage: string };
  readonly initMs: number;
  readonly peakRssMb: number;
  readonly peakTmpBytes: number;
  readonly durationMs: number;
  /** Environment variables the bundle read. */
  readonly envRead: string[];
  /** What the function wrote to stdout/stderr (its log lines, as Lambda delivers them). */
  readonly logs: string;
}

const RUNNER = resolve(__dirname, 'lambda-runner.js');
const LAYER = resolve(__dirname, '..', '..', 'dist', 'layer', 'nodejs', 'node_modules');

function folderBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? folderBytes(p) : e.isFile() ? statSync(p).size : 0;
  }
  return total;
}

/** One execution environment: its process, its /tmp, whether an invocation is running in it. */
interface Environment {
  readonly key: string;
  readonly functionName: string;
  readonly child: ChildProcess;
  readonly tmp: string;
  readonly id: number;
  busy: boolean;
  exited: boolean;
  logs: string;
  peakTmp: number;
  /** The invocation waiting for this environment's answer. */
  answer?: (message: RunnerReport | undefined) => void;
}

interface RunnerReport {
  id: number;
  result?: unknown;
  error?: { errorType: string; errorMessage: string };
  initMs: number;
  maxRssKb: number;
  envRead: string[];
}

const environments = new Set<Environment>();

/** Records the environment's /tmp size if it is a new peak; true when that is over `limit`. */
function sampleTmp(env: Environment, limit = Infinity): boolean {
  try {
    env.peakTmp = Math.max(env.peakTmp, folderBytes(env.tmp));
  } catch {
    // a file vanished while it was measured, or the folder is already gone
  }
  return env.peakTmp > limit;
}
let nextId = 0;

/**
 * An environment keeps this process alive only while an invocation runs in it: an idle one is
 * frozen, as Lambda freezes it, and must not hold a test runner open after the rehearsal.
 */
function hold(env: Environment, busy: boolean): void {
  env.busy = busy;
  const handles = [env.child, env.child.channel, env.child.stdout, env.child.stderr] as Array<{ ref?: () => void; unref?: () => void } | null | undefined>;
  for (const h of handles) (busy ? h?.ref : h?.unref)?.call(h);
}

function retire(env: Environment): void {
  environments.delete(env);
  if (!env.exited) env.child.kill('SIGKILL');
}

/**
 * Discards the environments of these functions (their next invocations start cold), as a
 * changed secret reaches a function only once its cached value expires: the rehearsal changes
 * a secret between executions and means the next execution to see it. A busy environment is
 * no longer reused and ends when its invocation does.
 */
export function retireEnvironments(functionNames: ReadonlySet<string>): void {
  for (const env of [...environments]) {
    if (!functionNames.has(env.functionName)) continue;
    if (env.busy) environments.delete(env);
    else retire(env);
  }
}

function startEnvironment(key: string, fn: DeployedFunction, substitutions: Record<string, string>, credentials: { accessKeyId: string; secretAccessKey: string }): Environment {
  const tmp = mkdtempSync(join(tmpdir(), 'rehearsal-tmp-'));
  const [, , , region] = fn.arn.split(':');
  const vars: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...fn.environment,
    ...substitutions,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    NODE_PATH: LAYER,
    TMPDIR: tmp,
    TZ: ':UTC',
  };
  const child = spawn(process.execPath, [`--max-old-space-size=${fn.memoryMb}`, RUNNER, resolve(fn.codeDir, 'index.js')], { env: vars, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const env: Environment = { key, functionName: fn.name, child, tmp, id: ++nextId, busy: false, exited: false, logs: '', peakTmp: 0 };
  child.stdout!.on('data', (d: Buffer) => (env.logs = (env.logs + d.toString()).slice(-20000)));
  child.stderr!.on('data', (d: Buffer) => (env.logs = (env.logs + d.toString()).slice(-20000)));
  child.on('message', (m: RunnerReport) => env.answer?.(m));
  child.on('exit', () => {
    env.exited = true;
    environments.delete(env);
    sampleTmp(env);
    rmSync(tmp, { recursive: true, force: true });
    env.answer?.(undefined);
  });
  environments.add(env);
  return env;
}

export function invokeFunction(fn: DeployedFunction, event: unknown, substitutions: Record<string, string>, credentials: { accessKeyId: string; secretAccessKey: string }): Promise<InvocationResult & { environment: number }> {
  // Lambda starts a new environment when the function's configuration changes: so does a change of the local endpoints.
  const key = `${fn.name}|${JSON.stringify(substitutions)}|${credentials.accessKeyId}`;
  const env = [...environments].find((e) => e.key === key && !e.busy) ?? startEnvironment(key, fn, substitutions, credentials);
  hold(env, true);
  env.logs = '';
  const started = Date.now();
  const limit = fn.tmpMb * 1024 * 1024;
  return new Promise((done) => {
    const sample = setInterval(() => {
      if (sampleTmp(env, limit)) env.child.kill('SIGKILL');
    }, 50);
    const timer = setTimeout(() => env.child.kill('SIGKILL'), fn.timeoutSeconds * 1000);
    env.answer = (report) => {
      env.answer = undefined;
      clearInterval(sample);
      clearTimeout(timer);
      if (!env.exited) sampleTmp(env);
      hold(env, false);
      if (!environments.has(env) || !report) retire(env);
      const durationMs = Date.now() - started;
      const timedOut = durationMs >= fn.timeoutSeconds * 1000;
      const error =
        report?.error ??
        (report
          ? undefined
          : env.peakTmp > limit
            ? { errorType: 'Runtime.TmpFull', errorMessage: `${fn.name}: /tmp above its ${fn.tmpMb} MB` }
            : timedOut
              ? { errorType: 'Sandbox.Timedout', errorMessage: `${fn.name} timed out after ${fn.timeoutSeconds} s` }
              : { errorType: 'Runtime.ExitError', errorMessage: `${fn.name} exited without a result: ${env.logs.slice(-600)}` });
      done({
        ok: !error,
        ...(error ? { error } : { payload: report!.result }),
        initMs: report?.initMs ?? 0,
        peakRssMb: (report?.maxRssKb ?? 0) / 1024,
        peakTmpBytes: env.peakTmp,
        durationMs,
        envRead: report?.envRead ?? [],
        logs: env.logs,
        environment: env.id,
      });
    };
    env.child.send({ id: env.id, event });
  });
}
