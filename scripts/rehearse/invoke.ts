/**
 * One invocation of a deployed function as its built bundle, in a child process: exactly the
 * function's environment plus what Lambda's runtime sets (region, function name, memory, role
 * credentials, the layer at /opt/nodejs/node_modules → NODE_PATH), its memory as the V8 heap
 * limit, a private /tmp (TMPDIR) whose size is measured against its configured limit, and its
 * timeout. Endpoint variables point the SDK at the local services (named in `substitutions`).
 */
import { spawn } from 'node:child_process';
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

export function invokeFunction(fn: DeployedFunction, event: unknown, substitutions: Record<string, string>, credentials: { accessKeyId: string; secretAccessKey: string }): Promise<InvocationResult> {
  const tmp = mkdtempSync(join(tmpdir(), 'rehearsal-tmp-'));
  const [, , , region] = fn.arn.split(':');
  const env: Record<string, string> = {
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
  const started = Date.now();
  return new Promise<InvocationResult>((done) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${fn.memoryMb}`, RUNNER, resolve(fn.codeDir, 'index.js'), JSON.stringify(event)], {
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    let report = '';
    let logs = '';
    let peakTmp = 0;
    child.stdout!.on('data', (d: Buffer) => (logs = (logs + d.toString()).slice(-20000)));
    child.stderr!.on('data', (d: Buffer) => (logs = (logs + d.toString()).slice(-20000)));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => (report += d.toString()));
    const limit = fn.tmpMb * 1024 * 1024;
    const sample = setInterval(() => {
      try {
        peakTmp = Math.max(peakTmp, folderBytes(tmp));
        if (peakTmp > limit) child.kill('SIGKILL');
      } catch {
        // a file vanished while it was measured
      }
    }, 50);
    const timer = setTimeout(() => child.kill('SIGKILL'), fn.timeoutSeconds * 1000);
    child.on('exit', () => {
      clearInterval(sample);
      clearTimeout(timer);
      try {
        peakTmp = Math.max(peakTmp, folderBytes(tmp));
      } catch {
        // already gone
      }
      rmSync(tmp, { recursive: true, force: true });
      const durationMs = Date.now() - started;
      const line = report.trim().split('\n').pop();
      let parsed: { envRead?: string[]; initMs?: number; maxRssKb?: number; result?: unknown; error?: { errorType: string; errorMessage: string } } = {};
      try {
        parsed = line ? (JSON.parse(line) as typeof parsed) : {};
      } catch {
        parsed = {};
      }
      const timedOut = durationMs >= fn.timeoutSeconds * 1000;
      const error =
        parsed.error ??
        (line
          ? undefined
          : peakTmp > limit
            ? { errorType: 'Runtime.TmpFull', errorMessage: `${fn.name}: /tmp above its ${fn.tmpMb} MB` }
            : timedOut
              ? { errorType: 'Sandbox.Timedout', errorMessage: `${fn.name} timed out after ${fn.timeoutSeconds} s` }
              : { errorType: 'Runtime.ExitError', errorMessage: `${fn.name} exited without a result: ${logs.slice(-600)}` });
      done({ ok: !error, ...(error ? { error } : { payload: parsed.result }), initMs: parsed.initMs ?? 0, peakRssMb: (parsed.maxRssKb ?? 0) / 1024, peakTmpBytes: peakTmp, durationMs, envRead: parsed.envRead ?? [], logs });
    });
  });
}
