import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CLI = resolve(__dirname, '..', '..', 'bin', 'tributary.js');

/** Runs the CLI as a new user would, in a folder of their own. */
function tributary(cwd: string, ...args: string[]) {
  const env = { ...process.env };
  for (const name of ['TRIBUTARY_SOURCE_URL', 'TRIBUTARY_WAREHOUSE_URL', 'TRIBUTARY_LAKE', 'TRIBUTARY_S3_ENDPOINT']) delete env[name];
  return spawnSync(process.execPath, [CLI, ...args], { cwd, env, encoding: 'utf8', timeout: 120000 });
}

describe('tributary run with every option omitted (embedded defaults)', () => {
  it('seeds an embedded source, loads the embedded warehouse, and appends nothing the second time', () => {
    const home = mkdtempSync(join(tmpdir(), 'tributary-home-'));
    const first = tributary(home, 'run');
    expect({ status: first.status, stderr: first.stderr.split('\n').filter((l) => l.startsWith('tributary')) }).toEqual({ status: 0, stderr: [] });
    expect(first.stdout).toMatch(/fact_sales_order\s+11,187\s+11,187/);
    expect(first.stdout).toMatch(/fact_purchase_order\s+4,649\s+4,649/);
    expect(first.stdout).toMatch(/fact_payment\s+15,836\s+15,836/);
    expect(first.stdout).toMatch(/dim_date rows added: 751/);
    expect(readdirSync(join(home, '.tributary'))).toEqual(expect.arrayContaining(['lake', 'pg.password']));

    const second = tributary(home, 'run');
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/warehouse: nothing new to load/);

    const status = tributary(home, 'status', '--json');
    expect(status.status).toBe(0);
    const parsed = JSON.parse(status.stdout);
    expect(parsed.rowCounts).toMatchObject({ fact_sales_order: 11187, fact_purchase_order: 4649, fact_payment: 15836, dim_date: 751 });
    expect(parsed.runs).toHaveLength(2);

    // `clean` removes everything the defaults made, in the clone and (as root) outside it.
    const pointer = join(home, '.tributary', 'pg.home');
    const external = existsSync(pointer) ? (JSON.parse(readFileSync(pointer, 'utf8')) as { path: string }).path : undefined;
    const cleaned = tributary(home, 'clean');
    expect(cleaned.status).toBe(0);
    expect(existsSync(join(home, '.tributary'))).toBe(false);
    if (external) expect(existsSync(external)).toBe(false);
    rmSync(home, { recursive: true, force: true });
  });
});
