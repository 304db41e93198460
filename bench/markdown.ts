/**
 * `npx tsx bench/markdown.ts [bench/results/rows-<N>.json]`: prints a kept result as Markdown
 * tables (figures, then targets judged with the other kept results), for docs/benchmarks.md.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatMarkdown, type BenchResult } from './report';

const dir = resolve(__dirname, 'results');
const file = resolve(process.argv[2] ?? join(dir, 'latest.json'));
const result = JSON.parse(readFileSync(file, 'utf8')) as BenchResult;
const kept = new Map<number, BenchResult>();
for (const name of readdirSync(dir).filter((f) => /^rows-\d+\.json$/.test(f))) {
  const r = JSON.parse(readFileSync(join(dir, name), 'utf8')) as BenchResult;
  kept.set(r.salesOrders, r);
}
process.stdout.write(`${formatMarkdown(result, kept)}\n`);
