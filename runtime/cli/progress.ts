import type { CliIo } from './commands';
import { bytes } from './format';

/**
 * The one status line `tributary run` keeps on a terminal (stderr): the step, how long it has
 * been running, and the table being read with its bytes (or records) so far. It is redrawn on a
 * timer, so a long step (the load) shows its clock moving rather than one word. Off when stderr
 * is not a terminal or with --json.
 */
export class RunProgress {
  private current = '';
  private since = Date.now();
  private readonly started = Date.now();
  private readonly amounts = new Map<string, string>();
  private lastTable?: string;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly io: CliIo,
    private readonly enabled: boolean,
  ) {}

  step(name: string): void {
    if (!this.enabled) return;
    this.current = name;
    this.since = Date.now();
    this.lastTable = undefined;
    this.timer ??= setInterval(() => this.draw(), 250).unref();
    this.draw();
  }

  amount(table: string, n: number, unit: 'bytes' | 'records'): void {
    if (!this.enabled) return;
    this.amounts.set(table, unit === 'bytes' ? bytes(n) : `${n.toLocaleString('en-US')} records`);
    this.lastTable = table;
  }

  /** The line as drawn now (exported for the test). */
  line(now = Date.now()): string {
    const elapsed = `${((now - this.since) / 1000).toFixed(1)}s`;
    const total = `${((now - this.started) / 1000).toFixed(1)}s`;
    const table = this.lastTable ? ` · ${this.lastTable} ${this.amounts.get(this.lastTable)} (${this.amounts.size} table${this.amounts.size === 1 ? '' : 's'} read)` : '';
    return `${this.current} ${elapsed}${table} · total ${total}`;
  }

  private draw(): void {
    this.io.err(`\r\x1b[K${this.line()}`);
  }

  done(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.enabled && this.current) this.io.err('\r\x1b[K');
  }
}
