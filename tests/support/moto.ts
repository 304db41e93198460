import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts `moto_server` (Python moto 5) on a free loopback port and waits until it answers.
 * `accountId`: the account moto puts every resource in (MOTO_ACCOUNT_ID), given per server so
 * that two rehearsals in one process (dev and prod, run concurrently) each get their own.
 */
export async function startMoto(options: { accountId?: string } = {}): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const python = process.env.TRIBUTARY_PYTHON ?? 'python3';
  const child = spawn(python, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    // This module's process.env, explicitly: under jest it is the suite's (MOTO_ACCOUNT_ID set by the rehearsal), not the worker's.
    env: { ...process.env, ...(options.accountId ? { MOTO_ACCOUNT_ID: options.accountId } : {}) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited: ${stderr}`);
    try {
      const res = await fetch(`${url}/moto-api/`);
      if (res.status < 500) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`moto_server did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 50));
    },
  };
}
