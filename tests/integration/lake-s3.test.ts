import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { RoutedObjectStore } from '../../runtime/lake/routed';
import { S3ObjectStore, s3ClientFor } from '../../runtime/lake/s3';
import { objectStoreContract } from '../support/lake-contract';
import { motoUrl, uniqueName, useMotoCredentials } from '../support/services';

async function bucket(): Promise<string> {
  useMotoCredentials();
  const name = uniqueName('lake');
  await s3ClientFor(motoUrl()).send(new CreateBucketCommand({ Bucket: name, CreateBucketConfiguration: { LocationConstraint: 'eu-west-2' } }));
  return name;
}

objectStoreContract('S3 (moto) under a prefix', async () => new S3ObjectStore({ bucket: await bucket(), prefix: 'pipelines/totesys', endpoint: motoUrl() }));
objectStoreContract('S3 (moto) at the bucket root', async () => new S3ObjectStore({ bucket: await bucket(), endpoint: motoUrl() }));

describe('routed lake over a raw and a processed bucket', () => {
  it('puts processed objects and transform manifests in the processed bucket, the rest in the raw bucket', async () => {
    const rawBucket = await bucket();
    const processedBucket = await bucket();
    const raw = new S3ObjectStore({ bucket: rawBucket, endpoint: motoUrl() });
    const processed = new S3ObjectStore({ bucket: processedBucket, endpoint: motoUrl() });
    const lake = new RoutedObjectStore(raw, processed);
    await lake.put('raw/totesys/address/year=2024/month=11/day=15/r-0000.csv.gz', 'raw');
    await lake.put('processed/totesys/dim_location/year=2024/month=11/day=15/r-0000.parquet', 'parquet');
    await lake.put('manifests/transform/r.json', '{}');
    await lake.put('manifests/extract/r.json', '{}');
    expect(await raw.list('')).toEqual(['manifests/extract/r.json', 'raw/totesys/address/year=2024/month=11/day=15/r-0000.csv.gz']);
    expect(await processed.list('')).toEqual(['manifests/transform/r.json', 'processed/totesys/dim_location/year=2024/month=11/day=15/r-0000.parquet']);
    expect(await lake.putIfAbsent('state/totesys/_lock.json', 'x')).toBe(true);
    expect(await raw.getText('state/totesys/_lock.json')).toBe('x');
    const obj = await s3ClientFor(motoUrl()).send(new GetObjectCommand({ Bucket: processedBucket, Key: 'manifests/transform/r.json' }));
    expect(await obj.Body!.transformToString()).toBe('{}');
    expect(lake.location).toBe(`s3://${rawBucket} + s3://${processedBucket}`);
  });
});

test('a probe of a bucket that does not exist names the location', async () => {
  const store = new S3ObjectStore({ bucket: 'tributary-no-such-bucket', prefix: 'x', endpoint: motoUrl() });
  await expect(store.probe()).rejects.toThrow(/^lake: s3:\/\/tributary-no-such-bucket\/x cannot be reached: .*bucket does not exist/i);
});
