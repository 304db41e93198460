/**
 * Charts and the lineage graph as plain SVG strings: no library, no script, nothing fetched at
 * view time, and the text in them is real text a browser (or a test) can read.
 */
import type { PipelineLineage } from '../lineage/model-lineage';

export function esc(text: string | number): string {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export const STEP_COLOURS: Record<string, string> = {
  backfill: '#9c6ade',
  extract: '#3b82f6',
  transform: '#f59e0b',
  load: '#10b981',
};

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((m) => m * magnitude).find((m) => m >= value)!;
}

export interface BarSeries {
  label: string;
  colour: string;
  values: number[];
}

/** Grouped vertical bars, one group per category (a run), with the value above each bar. */
export function groupedBarChart(title: string, categories: string[], series: BarSeries[]): string {
  const groupWidth = Math.max(48, series.length * 22 + 16);
  const left = 56;
  const top = 28;
  const plotHeight = 180;
  const width = Math.max(left + categories.length * groupWidth + 16, left + series.length * 170);
  const height = top + plotHeight + 56;
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const y = (v: number) => top + plotHeight - (v / max) * plotHeight;
  const parts: string[] = [];
  for (const tick of [0, max / 2, max]) {
    parts.push(`<line x1="${left}" x2="${width - 8}" y1="${y(tick)}" y2="${y(tick)}" stroke="#e5e7eb"/>`);
    parts.push(`<text x="${left - 6}" y="${y(tick) + 4}" text-anchor="end" class="axis">${esc(Math.round(tick).toLocaleString('en-US'))}</text>`);
  }
  categories.forEach((category, i) => {
    const x0 = left + i * groupWidth + 8;
    series.forEach((s, j) => {
      const value = s.values[i] ?? 0;
      const x = x0 + j * 22;
      const h = (value / max) * plotHeight;
      parts.push(`<rect x="${x}" y="${y(value)}" width="18" height="${Math.max(h, value > 0 ? 1 : 0)}" fill="${s.colour}"><title>${esc(`${s.label}: ${value.toLocaleString('en-US')}`)}</title></rect>`);
      parts.push(`<text x="${x + 9}" y="${y(value) - 3}" text-anchor="middle" class="value">${esc(value.toLocaleString('en-US'))}</text>`);
    });
    parts.push(`<text x="${x0 + (series.length * 22) / 2}" y="${top + plotHeight + 16}" text-anchor="middle" class="axis">${esc(category)}</text>`);
  });
  const legend = series.map((s, j) => `<rect x="${left + j * 170}" y="${height - 18}" width="10" height="10" fill="${s.colour}"/><text x="${left + j * 170 + 14}" y="${height - 9}" class="axis">${esc(s.label)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="${esc(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><text x="${left}" y="16" class="title">${esc(title)}</text>${parts.join('')}${legend.join('')}</svg>`;
}

export interface DurationRow {
  label: string;
  steps: Array<{ step: string; durationMs?: number }>;
}

/** One horizontal bar per run, split into its steps, with the total in seconds. */
export function stepDurationChart(title: string, rows: DurationRow[]): string {
  const left = 110;
  const barWidth = 460;
  const rowHeight = 26;
  const top = 28;
  const totals = rows.map((r) => r.steps.reduce((a, s) => a + (s.durationMs ?? 0), 0));
  const max = Math.max(1, ...totals);
  const steps = [...new Set(rows.flatMap((r) => r.steps.map((s) => s.step)))];
  const height = top + rows.length * rowHeight + 30;
  const width = left + barWidth + 90;
  const parts: string[] = [];
  rows.forEach((row, i) => {
    const yTop = top + i * rowHeight;
    parts.push(`<text x="${left - 6}" y="${yTop + 15}" text-anchor="end" class="axis">${esc(row.label)}</text>`);
    let x = left;
    for (const s of row.steps) {
      const w = ((s.durationMs ?? 0) / max) * barWidth;
      parts.push(`<rect x="${x}" y="${yTop + 3}" width="${Math.max(w, 0)}" height="18" fill="${STEP_COLOURS[s.step] ?? '#6b7280'}"><title>${esc(`${s.step}: ${((s.durationMs ?? 0) / 1000).toFixed(2)} s`)}</title></rect>`);
      x += w;
    }
    parts.push(`<text x="${x + 6}" y="${yTop + 16}" class="value">${esc(`${(totals[i] / 1000).toFixed(1)} s`)}</text>`);
  });
  const legend = steps.map((s, j) => `<rect x="${left + j * 100}" y="${height - 18}" width="10" height="10" fill="${STEP_COLOURS[s] ?? '#6b7280'}"/><text x="${left + j * 100 + 14}" y="${height - 9}" class="axis">${esc(s)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="${esc(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><text x="${left}" y="16" class="title">${esc(title)}</text>${parts.join('')}${legend.join('')}</svg>`;
}

interface GraphNode {
  id: string;
  label: string;
  column: number;
  href?: string;
}

const LAYERS = ['source table', 'raw zone', 'processed zone', 'warehouse table'];
const LAYER_COLOURS = ['#dbeafe', '#fef3c7', '#fde68a', '#d1fae5'];

/**
 * source table → raw object → processed object → warehouse table, laid out in four columns;
 * which raw tables feed each processed table comes from the model lineage.
 */
export function lineageGraph(lineage: PipelineLineage): string {
  const nodes: GraphNode[] = [];
  const edges: Array<[string, string]> = [];
  const model = lineage.source;
  for (const t of lineage.sourceTables) {
    nodes.push({ id: `source:${t.name}`, label: t.name, column: 0 });
    nodes.push({ id: `raw:${t.name}`, label: `raw/${model}/${t.name}`, column: 1 });
    edges.push([`source:${t.name}`, `raw:${t.name}`]);
  }
  const generated = lineage.tables.filter((t) => t.sources.length === 0);
  for (const t of lineage.tables.filter((x) => x.sources.length > 0)) {
    nodes.push({ id: `processed:${t.table}`, label: `processed/${model}/${t.table}`, column: 2 });
    nodes.push({ id: `warehouse:${t.table}`, label: t.table, column: 3, href: `#table-${t.table}` });
    for (const s of t.sources) edges.push([`raw:${s}`, `processed:${t.table}`]);
    edges.push([`processed:${t.table}`, `warehouse:${t.table}`]);
  }
  for (const q of lineage.quarantine) {
    nodes.push({ id: `processed:${q.table}`, label: `processed/${model}/${q.table}`, column: 2 });
    edges.push([`raw:${q.source}`, `processed:${q.table}`]);
  }
  for (const t of generated) {
    nodes.push({ id: `warehouse:${t.table}`, label: t.table, column: 3, href: `#table-${t.table}` });
    // dim_date is generated by the load from the dates of the facts it stages.
    for (const fact of lineage.tables.filter((x) => x.kind === 'fact')) edges.push([`processed:${fact.table}`, `warehouse:${t.table}`]);
  }
  const columnWidth = 290;
  const nodeWidth = 250;
  const rowHeight = 30;
  const top = 34;
  const position = new Map<string, { x: number; y: number }>();
  const rows = [0, 0, 0, 0];
  for (const n of nodes) {
    position.set(n.id, { x: 10 + n.column * columnWidth, y: top + rows[n.column] * rowHeight });
    rows[n.column] += 1;
  }
  const height = top + Math.max(...rows) * rowHeight + 10;
  const width = 10 + 3 * columnWidth + nodeWidth + 10;
  const lines = edges.map(([from, to]) => {
    const a = position.get(from)!;
    const b = position.get(to)!;
    const x1 = a.x + nodeWidth;
    const y1 = a.y + 11;
    const x2 = b.x;
    const y2 = b.y + 11;
    const mid = (x1 + x2) / 2;
    return `<path class="edge" data-from="${esc(from)}" data-to="${esc(to)}" d="M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}" fill="none" stroke="#94a3b8" stroke-width="1.2"/>`;
  });
  const boxes = nodes.map((n) => {
    const p = position.get(n.id)!;
    const box = `<rect x="${p.x}" y="${p.y}" width="${nodeWidth}" height="22" rx="4" fill="${LAYER_COLOURS[n.column]}" stroke="#64748b"/><text x="${p.x + 8}" y="${p.y + 15}" class="node-label">${esc(n.label)}</text>`;
    const inner = n.href ? `<a href="${esc(n.href)}">${box}</a>` : box;
    return `<g class="node" data-node="${esc(n.id)}">${inner}</g>`;
  });
  const headers = LAYERS.map((l, i) => `<text x="${10 + i * columnWidth}" y="18" class="title">${esc(l)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" class="lineage" role="img" aria-label="lineage of ${esc(model)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${headers.join('')}${lines.join('')}${boxes.join('')}</svg>`;
}
