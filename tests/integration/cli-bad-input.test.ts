/**
 * Bad input as a new user types it: each is one line naming the option or object, the right
 * exit code, and nothing written to the lake or the warehouse, no watermark moved.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../../runtime/cli/commands';
import { main } from '../../runtime/cli/main';
import { intervalProblem } from '../../runtime/config/interval';
import { runSpec } from '../../runtime/cli/specs';
import { SOURCE_KINDS } from '../../runtime/contract';
import { sourceAdapter } from '../../runtime/pipeline/registry';
import { createDatabase, motoUrl } from '../support/services';
import { count, withClient } from '../support/totesys';

function capture(env: NodeJS.ProcessEnv = {}): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), interactive: false, env };
}

const tables = (url: string) => count(url, `SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'`);

describe('tributary: bad input is one line, the right exit code, nothing written', () => {
  let root: string;
  let warehouseUrl: string;
  let sourceUrl: string;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'tributary-cli-bad-'));
    // Empty databases are enough: a rejected argument must be caught before either is used.
    sourceUrl = await createDatabase('badsrc');
    warehouseUrl = await createDatabase('badwh');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  async function rejected(argv: string[], code: number, message: RegExp): Promise<string> {
    const lake = mkdtempSync(join(root, 'lake-'));
    const io = capture();
    const exit = await main([...argv, '--source', sourceUrl, '--warehouse', warehouseUrl, '--lake', lake], io);
    expect({ argv, exit }).toEqual({ argv, exit: code });
    expect(io.stderr).toHaveLength(1);
    expect(io.stderr[0]).toMatch(message);
    expect(io.stdout).toEqual([]);
    expect(readdirSync(lake)).toEqual([]);
    return io.stderr[0];
  }

  it('validates numbers and intervals at parse time, saying what is allowed', async () => {
    await rejected(['run', '--lookback', 'banana'], 2, /^tributary run: --lookback: expected an interval such as "1 hour".*got "banana"$/);
    await rejected(['run', '--chunk-rows', '-5'], 2, /^tributary run: --chunk-rows: expected a whole number of rows, 1 or more .*got "-5"$/);
    await rejected(['run', '--chunk-rows', '1.5'], 2, /--chunk-rows: expected a whole number of rows/);
    await rejected(['run', '--concurrency', '0'], 2, /--concurrency: expected a whole number of chunks, 1 or more/);
    await rejected(['reconcile', '--chunk-size', 'lots'], 2, /--chunk-size: expected a whole number of ids/);
    await rejected(['run', '--lookback'], 2, /--lookback: needs a value \(<interval>\)/);
    await rejected(['run', '--lak', 'x'], 2, /unknown option --lak \(did you mean --lake\?\)/);
    expect(await tables(warehouseUrl)).toBe(0);
  });

  it('accepts the interval forms PostgreSQL reads as meant', async () => {
    for (const ok of ['1 hour', '90 minutes', '1 day 2 hours', '01:30:00', '0 minutes', '30s', '2 h']) {
      expect({ ok, problem: intervalProblem(ok) }).toEqual({ ok, problem: undefined });
      // …and PostgreSQL agrees: the value the extract will cast is a valid interval.
      await withClient(sourceUrl, (c) => c.query('SELECT $1::interval', [ok]));
    }
    for (const bad of ['banana', '1 fortnight', '1 hour; DROP TABLE x', '', '-1 hour']) expect(intervalProblem(bad)).toMatch(/expected an interval/);
  });

  it('rejects a malformed lake location instead of making a folder called "s3:"', async () => {
    const cwd = process.cwd();
    const here = mkdtempSync(join(root, 'cwd-'));
    process.chdir(here);
    try {
      const io = capture();
      expect(await main(['run', '--source', sourceUrl, '--warehouse', warehouseUrl, '--lake', 's3:/bucket'], io)).toBe(2);
      expect(io.stderr).toEqual([expect.stringMatching(/^tributary run: --lake: "s3:\/bucket" is neither a folder nor s3:\/\/bucket\/prefix \(did you mean s3:\/\/bucket\?\)/)]);
      expect(readdirSync(here)).toEqual([]);
    } finally {
      process.chdir(cwd);
    }
    expect(await tables(warehouseUrl)).toBe(0);
  });

  it('fails at once on a lake folder that cannot be made, before anything else starts', async () => {
    const io = capture();
    expect(await main(['run', '--source', sourceUrl, '--warehouse', warehouseUrl, '--lake', '/proc/tributary-lake'], io)).toBe(1);
    expect(io.stderr).toEqual(['tributary run: lake: cannot create the folder /proc/tributary-lake (ENOENT)']);
    expect(await tables(warehouseUrl)).toBe(0);
    expect(await tables(sourceUrl)).toBe(0);
  });
});

describe('tributary --help and --version', () => {
  it('prints each command its own options', async () => {
    const expected: Array<[string[], RegExp[]]> = [
      [['run', '--help'], [/^tributary run \[options\]/, /--lookback <interval>/, /--chunk-rows <rows>/, /--json/]],
      [['run', '--pipeline', 'recurly', '--help'], [/^tributary run --pipeline recurly/, /--api-key-secret <secret id>/, /--endpoints/]],
      [['seed', '--help'], [/^tributary seed/, /--generate <sales orders>/, /--reset/]],
      [['status', '--help'], [/^tributary status/, /--json/]],
      [['reconcile', '--help'], [/--dry-run/, /3 when differences were found/]],
      [['logs', '--help'], [/^tributary logs/, /--since <duration \| ISO time>/, /AWS_PROFILE/]],
      [['alert', '--help'], [/^tributary alert test/, /--slack-secret-arn <arn>/]],
      [['help', 'seed'], [/^tributary seed/]],
    ];
    for (const [argv, patterns] of expected) {
      const io = capture();
      expect({ argv, code: await main(argv, io) }).toEqual({ argv, code: 0 });
      const text = io.stdout.join('\n');
      for (const p of patterns) expect({ argv, text }).toEqual({ argv, text: expect.stringMatching(p) });
      expect(text).not.toMatch(/^tributary — run/);
    }
  });

  it('prints the package version', async () => {
    const io = capture();
    expect(await main(['--version'], io)).toBe(0);
    const { version } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    expect(io.stdout).toEqual([`tributary ${version}`]);
  });
});

describe('missing AWS credentials say which settings were looked at', () => {
  const saved = { ...process.env };
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'tributary-nocreds-'));
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI']) delete process.env[name];
    // No shared files and no instance metadata: the SDK's chain then has nothing to find.
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(root, 'no-credentials');
    process.env.AWS_CONFIG_FILE = join(root, 'no-config');
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
  });
  afterAll(() => {
    process.env = saved;
    rmSync(root, { recursive: true, force: true });
  });

  const explained = /no AWS credentials found; looked at AWS_ACCESS_KEY_ID \+ AWS_SECRET_ACCESS_KEY .*profile "default" \(AWS_PROFILE unset\) in .*no-credentials and .*no-config/;

  it('for logs, alert test and an S3 lake', async () => {
    const endpoint = motoUrl();
    const logs = capture(process.env);
    expect(await main(['logs', '--stack', 'dev', '--endpoint-url', endpoint], logs)).toBe(1);
    expect(logs.stderr).toEqual([expect.stringMatching(new RegExp(`^tributary logs: ${explained.source}`))]);
    const alert = capture(process.env);
    expect(await main(['alert', 'test', '--stack', 'dev', '--endpoint-url', endpoint], alert)).toBe(1);
    expect(alert.stderr).toEqual([expect.stringMatching(new RegExp(`^tributary alert: ${explained.source}`))]);
    const run = capture(process.env);
    const warehouseUrl = await createDatabase('nocredswh');
    expect(await main(['run', '--source', warehouseUrl, '--warehouse', warehouseUrl, '--lake', 's3://tributary-nocreds/lake', '--s3-endpoint', endpoint], run)).toBe(1);
    expect(run.stderr).toEqual([expect.stringMatching(new RegExp(`^tributary run: lake: s3://tributary-nocreds/lake cannot be reached: ${explained.source}`))]);
    expect(await tables(warehouseUrl)).toBe(0);
  });
});

test("each source kind's own options are declared, with help, in its run spec", () => {
  for (const kind of SOURCE_KINDS) {
    const declared = Object.keys(runSpec(kind).options);
    expect({ kind, missing: Object.keys(sourceAdapter(kind).cliOptions).filter((o) => !declared.includes(o)) }).toEqual({ kind, missing: [] });
  }
});
