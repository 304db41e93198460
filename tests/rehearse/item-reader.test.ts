import { applyTemplate, DISTRIBUTED_MAP_RESOURCE, readPath, runDistributedMap, withDistributedMapsAsTasks } from '../../scripts/rehearse/item-reader';
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
    expect(task).toEqual({ Type: 'Task', Resource: DISTRIBUTED_MAP_RESOURCE, Comment: map.Comment, Catch: map.Catch, ResultPath: null, Next: 'BackfillFinish' });
    expect(maps.BackfillChunks).toBe(map);
  });
});
