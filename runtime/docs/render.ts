import type { FreshnessRow, RunView, SiteData, SourceView } from './collect';
import { runAnchor } from './site-link';
import { esc, groupedBarChart, lineageGraph, stepDurationChart } from './svg';

/** The site as files: relative path → HTML. Every link is relative, so it opens from disk. */
export type SiteFiles = Map<string, string>;

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#111827;background:#f9fafb}
header{background:#0f172a;color:#f8fafc;padding:10px 24px;display:flex;gap:24px;align-items:center}
header a{color:#cbd5e1;text-decoration:none}header a.active{color:#fff;font-weight:600;border-bottom:2px solid #38bdf8}
header .brand{font-weight:700;color:#fff}
main{padding:16px 24px;max-width:1200px}
table{border-collapse:collapse;background:#fff;margin:8px 0 20px}
th,td{border:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f4f6}td.when{white-space:nowrap}td.num{text-align:right;font-variant-numeric:tabular-nums}
.outcome{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600}
.outcome-succeeded,.fresh{background:#d1fae5;color:#065f46}.outcome-failed,.stale{background:#fee2e2;color:#991b1b}
.outcome-partial,.outcome-interrupted{background:#fef3c7;color:#92400e}.outcome-running,.outcome-not-loaded{background:#e0e7ff;color:#3730a3}
.error{background:#fef2f2;border:1px solid #fecaca;color:#7f1d1d;padding:8px 12px;border-radius:6px;white-space:pre-wrap}
.muted{color:#6b7280}.charts{display:flex;flex-wrap:wrap;gap:24px}
svg .axis{font-size:11px;fill:#4b5563}svg .value{font-size:10px;fill:#111827}svg .title{font-size:13px;font-weight:600;fill:#111827}
svg .node-label{font-size:11px;fill:#0f172a}
`;

const PAGES = [
  { file: 'index.html', title: 'Runs' },
  { file: 'freshness.html', title: 'Freshness' },
  { file: 'lineage.html', title: 'Lineage' },
  { file: 'tests.html', title: 'Data tests' },
];

function page(site: SiteData, title: string, active: string, depth: number, body: string): string {
  const up = '../'.repeat(depth);
  const nav = PAGES.map((p) => `<a href="${up}${p.file}"${p.file === active ? ' class="active"' : ''}>${esc(p.title)}</a>`).join('');
  const where = `lake ${site.lake}${site.warehouse ? ` · warehouse ${site.warehouse}` : ''} · built ${time(site.generatedAt)}`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)} · Tributary</title><style>${STYLE}</style></head><body><header><span class="brand">Tributary</span>${nav}</header><main><h1>${esc(title)}</h1><p class="muted">${esc(where)}</p>${body}</main></body></html>\n`;
}

function n(value: number | undefined): string {
  return value === undefined ? '–' : value.toLocaleString('en-US');
}

function time(iso: string | undefined): string {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC` : '–';
}

function secs(ms: number | undefined): string {
  return ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`;
}

function since(minutes: number | undefined): string {
  if (minutes === undefined) return 'never';
  if (minutes < 1) return 'under a minute';
  if (minutes < 120) return `${Math.round(minutes)} min`;
  if (minutes < 48 * 60) return `${(minutes / 60).toFixed(1)} h`;
  return `${(minutes / 1440).toFixed(1)} days`;
}

function outcome(o: string): string {
  return `<span class="outcome outcome-${esc(o.replace(/ /g, '-'))}">${esc(o)}</span>`;
}

function runFile(run: RunView): string {
  return `runs/${run.source}-${run.runId}.html`;
}

function total(run: RunView, field: 'extracted' | 'transformed' | 'appended' | 'upserted'): number | undefined {
  const values = run.tables.map((t) => t[field]).filter((v): v is number => v !== undefined);
  return values.length ? values.reduce((a, b) => a + b, 0) : undefined;
}

function table(headers: string[], rows: string[][], numeric: number[] = []): string {
  const head = headers.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric.includes(i) ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function runsSection(source: SourceView): string {
  if (!source.runs.length) return `<p>No runs of ${esc(source.source)} yet.</p>`;
  const labels = source.runs.map((_, i) => `#${i + 1}`);
  const rows = source.runs.map((run, i) => [
    esc(labels[i]),
    `<a href="${esc(runFile(run))}">${esc(run.runId)}</a>`,
    esc(time(run.startedAt)),
    outcome(run.outcome),
    esc(secs(run.durationMs)),
    esc(n(total(run, 'extracted'))),
    esc(n(total(run, 'appended'))),
    esc(n(total(run, 'upserted'))),
    esc(n(run.quarantined.reduce((a, q) => a + q.rows, 0))),
    run.error ? `<span class="error-inline">${esc(`${run.failedStep ? `${run.failedStep}: ` : ''}${run.error}`)}</span>` : '',
  ]);
  const charts = [
    groupedBarChart(`Rows per run (${source.source})`, labels, [
      { label: 'extracted', colour: '#3b82f6', values: source.runs.map((r) => total(r, 'extracted') ?? 0) },
      { label: 'facts appended', colour: '#10b981', values: source.runs.map((r) => total(r, 'appended') ?? 0) },
      { label: 'dimension rows upserted', colour: '#f59e0b', values: source.runs.map((r) => total(r, 'upserted') ?? 0) },
    ]),
    stepDurationChart(`Step durations (${source.source})`, source.runs.map((r, i) => ({ label: labels[i], steps: r.steps }))),
  ];
  return `<h2>${esc(source.source)}</h2>${table(['#', 'run', 'started', 'outcome', 'duration', 'rows extracted', 'facts appended', 'dims upserted', 'quarantined', 'error'], rows, [4, 5, 6, 7, 8])}<div class="charts">${charts.join('')}</div>`;
}

function runPage(site: SiteData, run: RunView, index: number): string {
  const parts: string[] = [];
  parts.push(`<p>${outcome(run.outcome)} · source <b>${esc(run.source)}</b> · run #${index + 1} · started ${esc(time(run.startedAt))} · took ${esc(secs(run.durationMs))}</p>`);
  if (run.error) parts.push(`<h2>Error</h2><div class="error">${esc(`${run.failedStep ? `Failed during ${run.failedStep}: ` : ''}${run.error}`)}</div>`);
  if (run.outcome === 'interrupted') parts.push('<p class="error">This run stopped without finishing (the process ended). The next run picks up where it left off.</p>');
  if (run.steps.length) parts.push(`<h2>Steps</h2>${table(['step', 'duration'], run.steps.map((s) => [esc(s.step), esc(secs(s.durationMs))]), [1])}${stepDurationChart('Step durations', [{ label: `#${index + 1}`, steps: run.steps }])}`);
  parts.push(
    `<h2>Rows per table</h2>${
      run.tables.length
        ? table(
            ['table', 'extracted', 'transformed', 'appended', 'upserted'],
            run.tables.map((t) => [esc(t.table), esc(n(t.extracted)), esc(n(t.transformed)), esc(n(t.appended)), esc(n(t.upserted))]),
            [1, 2, 3, 4],
          )
        : '<p>No table was read.</p>'
    }`,
  );
  if (run.load) parts.push(`<p>Loaded into the warehouse at ${esc(time(run.load.loadedAt))}: ${esc(n(run.load.datesAdded))} dim_date rows added, ${esc(n(run.load.inferred))} inferred dimension members.</p>`);
  else if (run.rowsLoaded !== undefined) parts.push(`<p>The load step applied ${esc(n(run.rowsLoaded))} rows (facts appended and dimension rows upserted).</p>`);
  else parts.push('<p class="muted">Not loaded into the warehouse (yet).</p>');
  if (run.problems?.length) parts.push(`<h2>Finished with problems</h2><ul>${run.problems.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>`);
  if (run.quarantined.length) parts.push(`<h2>Quarantined rows</h2>${table(['source table', 'rows', 'reason'], run.quarantined.map((q) => [esc(q.table), esc(n(q.rows)), esc(q.reason)]), [1])}`);
  if (run.stopped.length) parts.push(`<h2>Tables stopped</h2>${table(['source table', 'why'], run.stopped.map((s) => [esc(s.table), esc(s.error)]))}`);
  if (run.dataTests?.length) {
    const failing = run.dataTests.filter((t) => t.failures > 0);
    parts.push(`<h2>Data tests</h2><p>${esc(`${run.dataTests.length - failing.length} of ${run.dataTests.length} passed`)}${failing.length ? `; failing: ${esc(failing.map((t) => `${t.table} ${t.name} (${t.failures})`).join(', '))}` : ''}</p>`);
  }
  return page(site, `Run ${run.runId}`, 'index.html', 1, parts.join(''));
}

function freshnessRows(rows: FreshnessRow[], source: SourceView): string[][] {
  return rows.map((r) => [
    esc(r.table),
    esc(r.watermark ?? '(never extracted)'),
    r.lastRowsRunId ? `${esc(time(r.lastRowsAt))} (<a href="runs/${esc(`${source.source}-${r.lastRowsRunId}`)}.html">run</a>)` : 'never',
    esc(since(r.minutesSince)),
    `<span class="outcome ${r.fresh ? 'fresh' : 'stale'}">${r.fresh ? 'fresh' : 'stale'}</span>`,
  ]);
}

function freshnessPage(site: SiteData): string {
  const body = site.sources
    .map(
      (s) =>
        `<h2>${esc(s.source)}</h2><p>Freshness SLA: new rows within ${esc(s.slaMinutes)} minutes. Last warehouse load: ${esc(time(s.lastLoadAt))}.</p>${table(
          ['source table', 'watermark', 'last brought rows', 'since', `within ${s.slaMinutes} min`],
          freshnessRows(s.freshness, s),
        )}`,
    )
    .join('');
  return page(site, 'Freshness', 'freshness.html', 0, body || '<p>No sources yet.</p>');
}

function lineagePage(site: SiteData): string {
  const body = site.sources
    .filter((s) => s.lineage)
    .map((s) => {
      const lineage = s.lineage!;
      const tables = lineage.tables
        .map(
          (t) =>
            `<h3 id="table-${esc(t.table)}">${esc(t.table)} <span class="muted">(${esc(t.kind)}${s.rowCounts?.[t.table] !== undefined ? `, ${n(s.rowCounts[t.table])} rows now` : ''})</span></h3>` +
            `<p>${t.note ? esc(t.note) : `built from ${esc(t.sources.join(', '))}`}</p>` +
            table(['column', 'type', 'from source columns'], t.columns.map((c) => [esc(c.name), esc(c.type), esc(c.from.map((o) => `${o.table}.${o.column}`).join(', ') || '–')])),
        )
        .join('');
      return `<h2>${esc(s.source)}</h2><p class="muted">Drawn from the model definitions (the model SQL as DuckDB parses it).</p>${lineageGraph(lineage)}${tables}`;
    })
    .join('');
  return page(site, 'Lineage', 'lineage.html', 0, body || '<p>No known model.</p>');
}

function testsPage(site: SiteData): string {
  const body = site.sources
    .map((s) => {
      if (!s.dataTests) return `<h2>${esc(s.source)}</h2><p>No data tests recorded yet (they run after a load that changed the warehouse).</p>`;
      const byTable = new Map<string, typeof s.dataTests.results>();
      for (const r of s.dataTests.results) byTable.set(r.table, [...(byTable.get(r.table) ?? []), r]);
      const summary = [...byTable.entries()].map(([t, results]) => {
        const failing = results.filter((r) => r.failures > 0);
        return [esc(t), esc(n(results.length)), esc(n(results.length - failing.length)), esc(n(failing.length)), esc(n(failing.reduce((a, r) => a + r.failures, 0)))];
      });
      const detail = s.dataTests.results.map((r) => [esc(r.table), esc(r.name), esc(n(r.failures)), `<span class="outcome ${r.failures ? 'stale' : 'fresh'}">${r.failures ? 'failing' : 'passing'}</span>`]);
      return `<h2>${esc(s.source)}</h2><p>Last results, recorded by run <a href="runs/${esc(`${s.source}-${s.dataTests.runId}`)}.html">${esc(s.dataTests.runId)}</a> at ${esc(time(s.dataTests.at))}.</p>${table(['table', 'tests', 'passing', 'failing', 'failing rows'], summary, [1, 2, 3, 4])}${table(['table', 'test', 'failing rows', 'result'], detail, [2])}`;
    })
    .join('');
  return page(site, 'Data tests', 'tests.html', 0, body || '<p>No sources yet.</p>');
}

/** Every page of the site, from the collected data. */
export function renderSite(site: SiteData): SiteFiles {
  const files: SiteFiles = new Map();
  const runs = site.sources.map(runsSection).join('');
  files.set('index.html', page(site, 'Runs', 'index.html', 0, runs || '<p>No runs yet: run <code>tributary run</code>.</p>'));
  for (const source of site.sources) source.runs.forEach((run, i) => files.set(runFile(run), runPage(site, run, i)));
  files.set('freshness.html', freshnessPage(site));
  files.set('lineage.html', lineagePage(site));
  files.set('tests.html', testsPage(site));
  return files;
}

/** The element id a page gets in the single-file site. */
export function pageAnchor(path: string): string {
  // A run's page is named by its run id alone, so an alert that knows only the run id links to it.
  const run = path.startsWith('runs/') ? /-(\d{8}T\d{9}Z-[a-z0-9]{1,32})\.html$/.exec(path) : null;
  return run ? runAnchor(run[1]) : `p-${path.replace(/[^A-Za-z0-9-]/g, '_')}`;
}


/** Where a relative link of a page at `from` points, as a site path (`runs/x.html`, `index.html#a`). */
function resolveLink(from: string, href: string): string {
  const parts = from.split('/').slice(0, -1);
  for (const segment of href.split('/')) {
    if (segment === '..') parts.pop();
    else if (segment !== '.') parts.push(segment);
  }
  return parts.join('/');
}

/**
 * The whole site as one HTML file, each page a section shown when the URL's fragment names it
 * (CSS :target, no script): what the deployed site is, because a presigned URL signs one
 * object only, and relative links to other objects would be refused. A link to a run is the
 * file's URL with `#` and runAnchor(runId).
 */
export function singleFileSite(files: SiteFiles): string {
  const sections: string[] = [];
  let head = '';
  for (const [path, html] of files) {
    if (!path.endsWith('.html')) continue;
    const body = /<body>([\s\S]*)<\/body>/.exec(html)?.[1] ?? '';
    head ||= /<head>([\s\S]*)<\/head>/.exec(html)?.[1] ?? '';
    // A fragment inside a page would hide its section (:target moves to it): links go to pages.
    const linked = body.replace(/href="([^"#:]+)"/g, (link: string, href: string) => (href.endsWith('.html') ? `href="#${pageAnchor(resolveLink(path, href))}"` : link));
    sections.push(`<section class="page" id="${pageAnchor(path)}">${linked}</section>`);
  }
  const index = pageAnchor('index.html');
  const style = `<style>.page{display:none}.page:target{display:block}body:not(:has(.page:target)) #${index}{display:block}</style>`;
  return `<!doctype html><html lang="en"><head>${head.replace(/<title>[^<]*<\/title>/, '<title>Tributary</title>')}${style}</head><body>${sections.join('')}</body></html>\n`;
}
