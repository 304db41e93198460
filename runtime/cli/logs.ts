import {
  CloudWatchLogsClient,
  paginateDescribeLogGroups,
  paginateFilterLogEvents,
} from '@aws-sdk/client-cloudwatch-logs';
import { errorMessage } from '../telemetry/redact';
import { formatSummary, summarizeRuns, type LogEvent } from '../telemetry/runlog';
import { explainAwsError } from '../config/aws-credentials';
import { optionalString, parseCommand } from './options';
import { LOGS } from './specs';

export interface CommandIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

const USAGE = '`tributary logs --help` lists the options';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since` as an epoch-ms start time, or undefined when it is neither a duration nor a date. */
export function parseSince(value: string, now = Date.now()): number | undefined {
  const m = /^(\d+)([smhd])$/.exec(value.trim());
  if (m) return now - Number(m[1]) * UNIT_MS[m[2]];
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const t = Date.parse(value);
    if (!Number.isNaN(t)) return t;
  }
  return undefined;
}

/** Every event of the groups under `prefix` since `startTime` (both APIs paginated). */
async function readEvents(
  client: CloudWatchLogsClient,
  prefix: string,
  startTime: number,
  run?: string,
): Promise<{ groups: string[]; events: LogEvent[] }> {
  const groups: string[] = [];
  for await (const page of paginateDescribeLogGroups({ client }, { logGroupNamePrefix: prefix })) {
    for (const g of page.logGroups ?? []) if (g.logGroupName) groups.push(g.logGroupName);
  }
  const events: LogEvent[] = [];
  for (const logGroup of groups) {
    // A quoted term narrows the scan server-side; summarizeRuns still matches the run id exactly.
    const filterPattern = run ? `"${run.replace(/"/g, '')}"` : undefined;
    for await (const page of paginateFilterLogEvents(
      { client },
      { logGroupName: logGroup, startTime, ...(filterPattern ? { filterPattern } : {}) },
    )) {
      for (const e of page.events ?? []) {
        if (e.message !== undefined)
          events.push({ logGroup, timestamp: e.timestamp ?? 0, message: e.message });
      }
    }
  }
  return { groups, events };
}

/** `tributary logs`: the stack's runs, their steps and errors, from CloudWatch Logs. */
export async function runLogsCommand(argv: string[], io: CommandIo): Promise<number> {
  let values;
  try {
    values = parseCommand(LOGS, argv).values;
  } catch (err) {
    io.err(`tributary logs: ${errorMessage(err)}`);
    return 2;
  }
  const opts = {
    stack: optionalString(values.stack),
    run: optionalString(values.run),
    since: optionalString(values.since) ?? '24h',
    'log-group-prefix': optionalString(values['log-group-prefix']),
    region: optionalString(values.region),
    'endpoint-url': optionalString(values['endpoint-url']),
  };
  if (!opts.stack) {
    io.err(`tributary logs: --stack is required; ${USAGE}`);
    return 2;
  }
  const startTime = parseSince(opts.since);
  if (startTime === undefined) {
    io.err(
      `tributary logs: --since ${JSON.stringify(opts.since)} is not a duration (30m, 6h, 2d) or an ISO timestamp`,
    );
    return 2;
  }
  const prefix = opts['log-group-prefix'] ?? `/aws/lambda/tributary-${opts.stack}-`;
  const endpoint = opts['endpoint-url'] ?? process.env.AWS_ENDPOINT_URL;
  const client = new CloudWatchLogsClient({
    region: opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'eu-west-2',
    ...(endpoint ? { endpoint } : {}),
  });
  try {
    const { groups, events } = await readEvents(client, prefix, startTime, opts.run);
    if (groups.length === 0) {
      io.err(
        `tributary logs: no log groups start with ${prefix} (use --log-group-prefix if the stack names them differently)`,
      );
      return 1;
    }
    const summary = summarizeRuns(events, opts.run);
    if (opts.run && summary.runs.length === 0) {
      io.err(
        `tributary logs: no log events for run ${opts.run} in ${groups.length} log groups since ${new Date(startTime).toISOString()}`,
      );
      return 1;
    }
    const lines = formatSummary(summary);
    if (lines.length === 0)
      lines.push(`no runs logged in ${groups.length} log groups since ${new Date(startTime).toISOString()}`);
    io.out(lines.join('\n'));
    return 0;
  } catch (err) {
    io.err(`tributary logs: ${errorMessage(explainAwsError(err))}`);
    return 1;
  } finally {
    client.destroy();
  }
}
