/** What stacks/, infra/, policies/ and runtime/ must agree on; Pulumi-free. */
export * from './kinds';
export * from './env';
export * from './defaults';
export * from './tags';
export * from './function-limits';
