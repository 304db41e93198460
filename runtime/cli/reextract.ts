import { UsageError } from '../config/urls';
import { newRunId } from '../lake/keys';
import { NothingToReextractError, reextractFrom } from '../state/reextract';
import type { CliIo } from './commands';
import { table } from './format';
import { optionalString, parseCommand } from './options';
import { lakeFrom, pipelineNamed } from './pipeline-options';
import { REEXTRACT } from './specs';

/** `tributary reextract --run <id>`: the documented recovery for a damaged raw object. */
export async function reextractCommand(argv: string[], io: CliIo): Promise<number> {
  const pipeline = pipelineNamed(argv);
  const { values } = parseCommand(REEXTRACT, argv);
  const runId = optionalString(values.run);
  if (!runId) throw new UsageError('--run: required (the extract run named in the error)');
  const lake = lakeFrom(values, io.env);
  let result;
  try {
    result = await reextractFrom(lake, pipeline.name, runId, newRunId());
  } catch (err) {
    if (err instanceof NothingToReextractError) throw new UsageError(`--run: ${err.message}`);
    throw err;
  }
  io.out(`undid extract run(s) ${result.removedRuns.join(', ')}`);
  io.out(table(['source table', 'watermark now'], Object.entries(result.watermarks).map(([t, w]) => [t, w ?? '(none: extracted whole)'])));
  io.out('next: tributary run extracts these tables again from these watermarks');
  return 0;
}
