import { RunProgress } from '../../runtime/cli/progress';

function io() {
  const err: string[] = [];
  return { err, io: { out: () => undefined, err: (t: string) => err.push(t), interactive: true, env: {} } };
}

describe('run progress on a terminal', () => {
  it('shows the step, its elapsed time and the table read so far, and clears the line at the end', () => {
    const t = io();
    const progress = new RunProgress(t.io, true);
    progress.step('extract');
    progress.amount('sales_order', 3 * 1024 * 1024, 'bytes');
    progress.amount('payment', 2048, 'bytes');
    expect(progress.line(Date.now() + 1500)).toMatch(/^extract 1\.\ds · payment 2\.0 KB \(2 tables read\) · total 1\.\ds$/);
    progress.step('load');
    // The load has no table detail, but its clock moves: the line is redrawn on a timer.
    expect(progress.line(Date.now() + 12_300)).toMatch(/^load 12\.\ds · total 12\.\ds$/);
    progress.done();
    expect(t.err[0]).toMatch(/^\r\x1b\[Kextract 0\.\ds/);
    expect(t.err[t.err.length - 1]).toBe('\r\x1b[K');
  });

  it('writes nothing when off (not a terminal, or --json)', () => {
    const t = io();
    const progress = new RunProgress(t.io, false);
    progress.step('extract');
    progress.amount('sales_order', 10, 'bytes');
    progress.done();
    expect(t.err).toEqual([]);
  });
});
