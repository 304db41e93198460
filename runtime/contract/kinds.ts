/**
 * The kinds of sources and warehouses a pipeline may have, and what each kind brings to a
 * deployment. Pulumi-free: stacks/ validates config against these lists, infra/ decides from them
 * which functions and branches a pipeline gets, runtime/ registers one adapter per kind
 * (runtime/pipeline/registry.ts). A new kind is one line in each list.
 */
export const SOURCE_KINDS = ['postgres', 'rest'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export const WAREHOUSE_KINDS = ['postgres', 'snowflake', 'redshift'] as const;
export type WarehouseKind = (typeof WAREHOUSE_KINDS)[number];

/** The run's three steps (every pipeline). */
export const PIPELINE_STEPS = ['extract', 'transform', 'load'] as const;
export type PipelineStep = (typeof PIPELINE_STEPS)[number];

/** Every function a pipeline may have: the steps, plus backfill and reconcile where the kinds support them. */
export const PIPELINE_FUNCTIONS = ['extract', 'transform', 'load', 'backfill', 'reconcile'] as const;
export type PipelineFunction = (typeof PIPELINE_FUNCTIONS)[number];

export interface SourceCapabilities {
  /** Initial loads of large tables in key-range chunks (the state machine's Distributed Map branch). */
  readonly backfill: boolean;
  /** Source and warehouse compared and repaired on a schedule (needs the warehouse's support too). */
  readonly reconcile: boolean;
  /** The lake `<source>` name and CLI `--pipeline` name of the dataset this kind carries. */
  readonly defaultName: string;
}

export const SOURCE_CAPABILITIES: Readonly<Record<SourceKind, SourceCapabilities>> = {
  postgres: { backfill: true, reconcile: true, defaultName: 'totesys' },
  rest: { backfill: false, reconcile: false, defaultName: 'recurly' },
};

export interface WarehouseCapabilities {
  /** Reconciliation reads the warehouse over a PostgreSQL connection. */
  readonly reconcile: boolean;
  /**
   * Loads run as statements on the warehouse's own engine that the load submits and the state
   * machine waits on (polling through the load function), not inside a function's lifetime.
   */
  readonly asyncStatements: boolean;
  /**
   * The adapter runs data tests after a load that changed anything (Warehouse.dataTests); only
   * then does the load publish a data-quality alert, so only then has it the topic and its grant.
   */
  readonly dataTests: boolean;
}

export const WAREHOUSE_CAPABILITIES: Readonly<Record<WarehouseKind, WarehouseCapabilities>> = {
  postgres: { reconcile: true, asyncStatements: false, dataTests: true },
  snowflake: { reconcile: false, asyncStatements: true, dataTests: false },
  redshift: { reconcile: false, asyncStatements: true, dataTests: true },
};

/** Whether a pipeline has the backfill and reconcile branches. */
export function pipelineBranches(source: SourceKind, warehouse: WarehouseKind): { backfill: boolean; reconcile: boolean } {
  return {
    backfill: SOURCE_CAPABILITIES[source].backfill,
    reconcile: SOURCE_CAPABILITIES[source].reconcile && WAREHOUSE_CAPABILITIES[warehouse].reconcile,
  };
}

/** The functions a pipeline of these kinds deploys, in order. */
export function pipelineFunctions(source: SourceKind, warehouse: WarehouseKind): PipelineFunction[] {
  const branches = pipelineBranches(source, warehouse);
  return [...PIPELINE_STEPS, ...(branches.backfill ? (['backfill'] as const) : []), ...(branches.reconcile ? (['reconcile'] as const) : [])];
}

export function isSourceKind(value: string): value is SourceKind {
  return (SOURCE_KINDS as readonly string[]).includes(value);
}

export function isWarehouseKind(value: string): value is WarehouseKind {
  return (WAREHOUSE_KINDS as readonly string[]).includes(value);
}

/** Endpoints of the Recurly preset (runtime/sources/rest/recurly.ts); `source.endpoints` picks among them. */
export const REST_ENDPOINTS = ['accounts', 'subscriptions', 'invoices', 'transactions'] as const;
