import { RECURLY_MODEL } from '../../runtime/model/recurly/tables';

// What the environment held when the warehouse module (which imports snowflake-sdk) was loaded.
const mockLoads: Array<string | undefined> = [];
jest.mock('../../runtime/warehouse/snowflake/warehouse', () => {
  mockLoads.push(process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION);
  return { SnowflakeWarehouse: { connect: jest.fn(async () => ({ opened: true })) } };
});

import { disablePlatformDetection, snowflakeWarehouse } from '../../runtime/warehouse/snowflake/kind';

const config = { account: 'acme', username: 'loader', password: 'pw', database: 'ANALYTICS', schema: 'RECURLY', stage: 'TRIBUTARY_PROCESSED_STAGE' };

describe('Snowflake warehouse kind', () => {
  const saved = process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION;
  afterAll(() => {
    if (saved === undefined) delete process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION;
    else process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION = saved;
  });

  it('loads snowflake-sdk only when a warehouse is opened, with its platform detection (STS, cloud metadata) off', async () => {
    delete process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION;
    // Importing the kind (as every bundle's registry does) loaded nothing of the SDK.
    expect(mockLoads).toEqual([]);
    await expect(snowflakeWarehouse.open({ kind: 'snowflake', config }, RECURLY_MODEL)).resolves.toEqual({ opened: true });
    expect(mockLoads).toEqual(['true']);
  });

  it("keeps an operator's own setting of the switch", () => {
    const env: NodeJS.ProcessEnv = { SNOWFLAKE_DISABLE_PLATFORM_DETECTION: 'false' };
    disablePlatformDetection(env);
    expect(env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION).toBe('false');
    const unset: NodeJS.ProcessEnv = {};
    disablePlatformDetection(unset);
    expect(unset.SNOWFLAKE_DISABLE_PLATFORM_DETECTION).toBe('true');
  });
});
