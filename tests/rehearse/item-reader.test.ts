import { applyTemplate, DISTRIBUTED_MAP_RESOURCE, executionTimeoutSeconds, MAX_TIMER_SECONDS, readPath, runDistributedMap, withDistributedMapsAsTasks } from '../../scripts/rehearse/item-reader';
import { buildStateMachineDefinition } from '../../infra/stateMachine';

/** The rehearsal's Distributed Map ItemReader against what AWS documents for it. */
const definition = buildStateMachineDefinition({
  pipeline: 'totesys',
  environment: 'dev',
  functionArns: { Extract: 'arn:e', Transform: 'arn:t', Load: 'arn:l' },
  timeoutSeconds: { Extract: 900, Transform: 900, Load: 900 },
  alertTopicArn: 'arn:sns',
  backfill: { functionArn: 'arn:b', timeoutSeconds: 900, rawBucketName: 'raw-bucket', maxConcurrency: 2 },
}) as unknown as Record<string, unknown>;
const map = (definition.States as Record<string, Record<string, unknown>>).BackfillChunks;
const input = { backfill: { Payload: { backfillId: 'B1', chunksKey: 'state/totesys/_backfill/B1/chunks.json', chunkCount: 5 } } };
const chunks = [0, 1, 2, 3, 4].map((index) => ({ table: 'sales_order', index, lo: index * 10, hi: index * 10 + 10 }));

describe('Distributed Map ItemReader (rehearsal)', () => {
  it('reads the JSON array from the named object and runs the ItemProcessor per item with the ItemSelector, at most MaxConcurrency at once', async () => {
    const read: string[] = [];
    let running = 0;
    let peak = 0;
    const inputs: unknown[] = [];
    const out = await runDistributedMap(map, input, {
      getObject: async (bucket, key) => {
        read.push(`${bucket}/${key}`);
        return JSON.stringify(chunks);
      },
      runProcessor: async (processor, child) => {
        expect(Object.keys(processor).sort()).toEqual(['StartAt', 'States']);
        expect(processor.StartAt).toBe('BackfillChunk');
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        inputs.push(child);
        return { done: (child as { chunk: { index: number } }).chunk.index };
      },
    });
    expect(read).toEqual(['raw-bucket/state/totesys/_backfill/B1/chunks.json']);
    expect(peak).toBe(2);
    expect(inputs).toHaveLength(5);
    expect(inputs).toContainEqual({ action: 'chunk', backfillId: 'B1', chunk: chunks[3] });
    expect(out).toEqual([0, 1, 2, 3, 4].map((done) => ({ done })));
  });

  it('ToleratedFailurePercentage 0: one failed child fails the state with States.ExceedToleratedFailureThreshold; a higher one tolerates it', async () => {
    const deps = {
      getObject: async () => JSON.stringify(chunks),
      runProcessor: async (_p: unknown, child: unknown) => {
        if ((child as { chunk: { index: number } }).chunk.index === 2) throw new Error('chunk failed');
        return 'ok';
      },
    };
    await expect(runDistributedMap(map, input, deps)).rejects.toMatchObject({ name: 'States.ExceedToleratedFailureThreshold' });
    await expect(runDistributedMap({ ...map, ToleratedFailurePercentage: 20 }, input, deps)).resolves.toHaveLength(5);
    await expect(runDistributedMap({ ...map, ToleratedFailurePercentage: 19 }, input, deps)).rejects.toMatchObject({ name: 'States.ExceedToleratedFailureThreshold' });
  });

  it('an object that is not a JSON array, a missing path, an unsupported reader: errors, not silent values', async () => {
    await expect(runDistributedMap(map, input, { getObject: async () => '{"a":1}', runProcessor: async () => 1 })).rejects.toMatchObject({ name: 'States.ItemReaderFailed' });
    await expect(runDistributedMap(map, { backfill: { Payload: {} } }, { getObject: async () => '[]', runProcessor: async () => 1 })).rejects.toMatchObject({ name: 'States.Runtime' });
    await expect(runDistributedMap({ ...map, ItemReader: { Resource: 'arn:aws:states:::s3:listObjectsV2', Parameters: { Bucket: 'b' } } }, input, { getObject: async () => '[]', runProcessor: async () => 1 })).rejects.toThrow(/JSON objects from S3 only/);
    expect(() => readPath('$.a[0]', { a: [1] })).toThrow(/not supported/);
    expect(applyTemplate({ 'v.$': '$$.Map.Item.Value.lo', i: 'x', 'n.$': '$$.Map.Item.Index' }, {}, { value: { lo: 7 }, index: 3 })).toEqual({ v: 7, i: 'x', n: 3 });
  });

  it('turns the Map state into a Task of the rehearsal keeping its Catch, ResultPath and Next', () => {
    const { definition: rewritten, maps } = withDistributedMapsAsTasks(definition);
    const task = (rewritten.States as Record<string, Record<string, unknown>>).BackfillChunks;
    // No timeout of its own (a Map has none): the execution's, not the interpreter's 60 s Task default.
    expect(task).toEqual({ Type: 'Task', Resource: DISTRIBUTED_MAP_RESOURCE, Comment: map.Comment, Catch: map.Catch, ResultPath: null, Next: 'BackfillFinish', TimeoutSeconds: definition.TimeoutSeconds });
    expect(maps.BackfillChunks).toBe(map);
    expect(executionTimeoutSeconds({})).toBe(MAX_TIMER_SECONDS);
    expect(executionTimeoutSeconds({ TimeoutSeconds: 10 ** 9 })).toBe(MAX_TIMER_SECONDS);
  });

  it('a Distributed Map whose chunks take longer than a minute in all is not cut off (the intermittent BackfillChunks failure)', async () => {
    // Node 20 lacks Promise.withResolvers, which aws-local-stepfunctions 3 uses (index.ts polyfills it the same way).
    const ctor = Promise as unknown as { withResolvers?: () => unknown };
    ctor.withResolvers ??= () => {
      let resolve!: (v: unknown) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise((res, rej) => ((resolve = res), (reject = rej)));
      return { promise, resolve, reject };
    };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { StateMachine } = require('aws-local-stepfunctions') as { StateMachine: new (d: unknown, o?: unknown) => { run(i: unknown, o: unknown): { result: Promise<unknown> } } };
    const small = { StartAt: 'Chunks', TimeoutSeconds: 3600, States: { Chunks: { ...map, Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Failed' }], Next: 'Done' }, Done: { Type: 'Succeed' }, Failed: { Type: 'Fail', Error: 'Cut' } } };
    const { definition: runnable } = withDistributedMapsAsTasks(small);
    jest.useFakeTimers();
    try {
      const slowMap = () => new Promise((done) => setTimeout(() => done([]), 90_000));
      const run = new StateMachine(runnable, { validationOptions: { checkPaths: false, checkArn: false } }).run(input, { overrides: { taskResourceLocalHandlers: { Chunks: slowMap } } });
      const outcome = run.result.then(() => 'SUCCEEDED', (err: Error) => `FAILED ${err.name}`);
      await jest.advanceTimersByTimeAsync(91_000);
      expect(await outcome).toBe('SUCCEEDED');
    } finally {
      jest.useRealTimers();
    }
  });
});
