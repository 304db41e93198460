import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Body, ObjectStore, PutResult } from './port';

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function tagOf(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex');
}

/**
 * A folder on disk with the lake's keys as relative paths. Writes go to a temporary file
 * renamed into place, so a crash never leaves a half-written object under its key.
 */
export class LocalObjectStore implements ObjectStore {
  readonly location: string;
  private readonly root: string;
  private rootReady?: Promise<void>;

  constructor(root: string) {
    this.root = resolve(root);
    this.location = this.root;
  }

  /**
   * Creates the lake folder one level at a time. A recursive mkdir under /proc loops for
   * minutes in Node 20 (measured: `--lake /proc/x` spun at 100 % CPU); one level at a time
   * fails at once with the folder that cannot be made.
   */
  private ensureRoot(): Promise<void> {
    this.rootReady ??= (async () => {
      const missing: string[] = [];
      let dir = this.root;
      for (;;) {
        const stat = await fs.stat(dir).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
          throw new Error(`lake: cannot use ${dir} (${err.code ?? err.message})`);
        });
        if (stat) {
          if (!stat.isDirectory()) throw new Error(`lake: ${dir} is not a folder`);
          break;
        }
        missing.unshift(dir);
        if (dirname(dir) === dir) break;
        dir = dirname(dir);
      }
      for (const folder of missing) {
        await fs.mkdir(folder).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST') throw new Error(`lake: cannot create the folder ${folder} (${err.code ?? err.message})`);
        });
      }
    })();
    this.rootReady.catch(() => (this.rootReady = undefined));
    return this.rootReady;
  }

  async probe(): Promise<void> {
    await this.ensureRoot();
    const path = join(this.root, `.probe-${randomBytes(6).toString('hex')}.tmp`);
    try {
      await fs.writeFile(path, '');
    } catch (err) {
      throw new Error(`lake: cannot write in ${this.root} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    } finally {
      await fs.rm(path, { force: true });
    }
  }

  private pathOf(key: string): string {
    const path = resolve(this.root, key);
    if (!path.startsWith(this.root + sep)) throw new Error(`lake key escapes the lake folder: ${key}`);
    return path;
  }

  private async writeAtomically(path: string, body: Body): Promise<number> {
    await this.ensureRoot();
    await fs.mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      const source = typeof body === 'string' || Buffer.isBuffer(body) ? Readable.from([body]) : body;
      await pipeline(source, createWriteStream(tmp));
      const { size } = await fs.stat(tmp);
      await fs.rename(tmp, path);
      return size;
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }

  async put(key: string, body: Body): Promise<PutResult> {
    const bytes = await this.writeAtomically(this.pathOf(key), body);
    return { key, bytes };
  }

  async putIfAbsent(key: string, body: Buffer | string): Promise<boolean> {
    const path = this.pathOf(key);
    await this.ensureRoot();
    await fs.mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    await fs.writeFile(tmp, body);
    try {
      // link() fails when the target exists: an atomic create-if-absent on POSIX filesystems.
      await fs.link(tmp, path);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  async putIfMatch(key: string, body: Buffer | string, expectedTag: string | null): Promise<boolean> {
    if (expectedTag === null) return this.putIfAbsent(key, body);
    const current = await this.getWithTag(key);
    if (!current || current.tag !== expectedTag) return false;
    await this.writeAtomically(this.pathOf(key), body);
    return true;
  }

  async getStream(key: string): Promise<Readable> {
    const path = this.pathOf(key);
    await fs.access(path);
    return createReadStream(path);
  }

  async getText(key: string): Promise<string | undefined> {
    try {
      return await fs.readFile(this.pathOf(key), 'utf8');
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async getWithTag(key: string): Promise<{ text: string; tag: string } | undefined> {
    const text = await this.getText(key);
    return text === undefined ? undefined : { text, tag: tagOf(text) };
  }

  async download(key: string, localPath: string): Promise<void> {
    await fs.mkdir(dirname(localPath), { recursive: true });
    await fs.copyFile(this.pathOf(key), localPath);
  }

  async list(prefix: string, startAfter?: string): Promise<string[]> {
    const keys: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch (err) {
        if (isMissing(err)) return;
        throw err;
      }
      for (const entry of entries) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (!entry.name.endsWith('.tmp')) keys.push(relative(this.root, full).split(sep).join('/'));
      }
    };
    // Walk only the deepest folder the prefix names, then filter by the full prefix.
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    await walk(join(this.root, folder));
    return keys
      .filter((k) => k.startsWith(prefix) && (startAfter === undefined || k > startAfter))
      .sort();
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.pathOf(key), { force: true });
  }
}
