/**
 * The Distributed Map's ItemReader for the rehearsal: aws-local-stepfunctions runs inline Map
 * states only, so each Map state with an `ItemReader` becomes a Task state (same Retry, Catch,
 * ResultPath, Next) whose local handler does what Step Functions does (AWS docs, "ItemReader",
 * "ItemSelector", "Distributed Map state"):
 *
 * - reads the items: `arn:aws:states:::s3:getObject` with `ReaderConfig.InputType: JSON` is one
 *   object holding a JSON array; `Bucket`/`Key` (or `Bucket.$`/`Key.$` paths over the state's
 *   input); `ReaderConfig.MaxItems` keeps the first n;
 * - builds each child's input with `ItemSelector` (`$` the Map state's input, `$$.Map.Item.Value`
 *   and `$$.Map.Item.Index` the item), or the item itself without one;
 * - runs the `ItemProcessor` once per item, at most `MaxConcurrency` at a time (0: no limit);
 * - fails with `States.ExceedToleratedFailureThreshold` when more children failed than
 *   `ToleratedFailurePercentage` / `ToleratedFailureCount` allow (both absent: none tolerated);
 * - a child is the processor's `StartAt` and `States` (its `ProcessorConfig` is how it runs);
 * - answers the children's outputs in item order (a `ResultPath: null` then discards them).
 *
 * Paths supported: `$`, `$.a.b.c`, `$$.Map.Item.Value[.a.b]`, `$$.Map.Item.Index`; anything else
 * is an error naming the path, rather than a silently different value.
 */

type Json = unknown;
type State = Record<string, unknown>;

export interface DistributedMapDeps {
  /** S3 GetObject: the object's text. */
  getObject(bucket: string, key: string): Promise<string>;
  /** Runs the Map's ItemProcessor (a state machine definition) on one input; rejects when the child fails. */
  runProcessor(processor: State, input: Json): Promise<Json>;
}

export const DISTRIBUTED_MAP_RESOURCE = 'arn:aws:states:::rehearsal:distributedMap';
/**
 * What bounds a state with no timeout of its own: the execution's TimeoutSeconds, else the
 * longest a Node timer can wait (2^31-1 ms, ~24.8 days; a longer one fires after 1 ms).
 */
export const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
export function executionTimeoutSeconds(definition: State): number {
  const t = Number(definition.TimeoutSeconds);
  return Number.isInteger(t) && t > 0 ? Math.min(t, MAX_TIMER_SECONDS) : MAX_TIMER_SECONDS;
}

function walk(value: Json, path: string, segments: string[]): Json {
  let at = value;
  for (const s of segments) {
    if (typeof at !== 'object' || at === null || !(s in at)) throw Object.assign(new Error(`path ${path} points at nothing`), { name: 'States.Runtime' });
    at = (at as Record<string, Json>)[s];
  }
  return at;
}

/** A reference path over the state input (`$…`) or the item's context (`$$.Map.Item…`). */
export function readPath(path: string, input: Json, item?: { value: Json; index: number }): Json {
  if (path === '$') return input;
  if (path.startsWith('$$.')) {
    if (!item) throw new Error(`path ${path}: no Map item here`);
    if (path === '$$.Map.Item.Index') return item.index;
    if (path === '$$.Map.Item.Value') return item.value;
    if (path.startsWith('$$.Map.Item.Value.')) return walk(item.value, path, path.slice('$$.Map.Item.Value.'.length).split('.'));
    throw new Error(`path ${path} is not supported by the rehearsal's ItemReader`);
  }
  const segments = path.startsWith('$.') ? path.slice(2).split('.') : [];
  if (segments.length && segments.every((s) => /^\w+$/.test(s))) return walk(input, path, segments);
  throw new Error(`path ${path} is not supported by the rehearsal's ItemReader`);
}

/** A payload template: `key.$` fields read paths, the others are copied (objects recursively). */
export function applyTemplate(template: Record<string, Json>, input: Json, item?: { value: Json; index: number }): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$')) {
      if (typeof value !== 'string') throw new Error(`${key} must be a path`);
      out[key.slice(0, -2)] = readPath(value, input, item);
    } else out[key] = typeof value === 'object' && value !== null && !Array.isArray(value) ? applyTemplate(value as Record<string, Json>, input, item) : value;
  }
  return out;
}

async function readItems(state: State, input: Json, deps: DistributedMapDeps): Promise<Json[]> {
  const reader = state.ItemReader as { Resource?: string; ReaderConfig?: { InputType?: string; MaxItems?: number }; Parameters?: Record<string, Json> };
  if (reader.Resource !== 'arn:aws:states:::s3:getObject' || reader.ReaderConfig?.InputType !== 'JSON') {
    throw new Error(`ItemReader ${reader.Resource} / ${reader.ReaderConfig?.InputType}: the rehearsal reads JSON objects from S3 only`);
  }
  const { Bucket, Key } = applyTemplate(reader.Parameters ?? {}, input);
  if (typeof Bucket !== 'string' || typeof Key !== 'string') throw new Error('ItemReader: Bucket and Key must be strings');
  const items = JSON.parse(await deps.getObject(Bucket, Key)) as Json;
  if (!Array.isArray(items)) throw Object.assign(new Error(`s3://${Bucket}/${Key} is not a JSON array`), { name: 'States.ItemReaderFailed' });
  const max = reader.ReaderConfig?.MaxItems;
  return max ? items.slice(0, max) : items;
}

/** Runs one Distributed Map state on its input: the children's outputs, in item order. */
export async function runDistributedMap(state: State, input: Json, deps: DistributedMapDeps): Promise<Json[]> {
  const items = await readItems(state, input, deps);
  const selector = state.ItemSelector as Record<string, Json> | undefined;
  // ProcessorConfig (mode, execution type) says how children run, not what: the child is StartAt + States.
  const { StartAt, States } = state.ItemProcessor as State;
  const processor: State = { StartAt, States };
  const limit = Number(state.MaxConcurrency ?? 0) || items.length || 1;
  const results: Json[] = new Array(items.length);
  let failed = 0;
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      const child = selector ? applyTemplate(selector, input, { value: items[index], index }) : items[index];
      try {
        results[index] = await deps.runProcessor(processor, child);
      } catch (err) {
        failed++;
        if (process.env.REHEARSAL_DEBUG) process.stderr.write(`  [map item ${index}] ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, Math.max(1, items.length)) }, worker));
  const percent = state.ToleratedFailurePercentage as number | undefined;
  const count = state.ToleratedFailureCount as number | undefined;
  const tolerated = percent === undefined && count === undefined ? failed === 0 : (percent === undefined || (items.length > 0 && (failed / items.length) * 100 <= percent)) && (count === undefined || failed <= count);
  if (!tolerated) throw Object.assign(new Error(`${failed} of ${items.length} child executions failed`), { name: 'States.ExceedToleratedFailureThreshold' });
  return results;
}

/**
 * The definition with each Distributed Map state (one with an ItemReader) turned into a Task of
 * `DISTRIBUTED_MAP_RESOURCE` keeping its Retry, Catch, ResultPath, Next/End, with no timeout of
 * its own (as the Map has none); and those states.
 */
export function withDistributedMapsAsTasks(definition: State): { definition: State; maps: Record<string, State> } {
  const maps: Record<string, State> = {};
  const states: Record<string, State> = {};
  for (const [name, state] of Object.entries(definition.States as Record<string, State>)) {
    if (state.Type !== 'Map' || !state.ItemReader) {
      states[name] = state;
      continue;
    }
    maps[name] = state;
    const kept = Object.fromEntries(Object.entries(state).filter(([k]) => ['Comment', 'Retry', 'Catch', 'ResultPath', 'Next', 'End'].includes(k)));
    // A Map state has no timeout of its own (only the execution's bounds it), but the interpreter
    // gives a Task without TimeoutSeconds 60 s (aws-local-stepfunctions' DEFAULT_TIMEOUT_SECONDS),
    // which failed a backfill whose chunks took longer in all (States.Timeout, caught as
    // BackfillChunksFailed, while the last chunks still ran): the Task gets the execution's.
    states[name] = { ...kept, Type: 'Task', Resource: DISTRIBUTED_MAP_RESOURCE, TimeoutSeconds: executionTimeoutSeconds(definition) };
  }
  return { definition: { ...definition, States: states }, maps };
}
