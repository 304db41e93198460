import { ENV } from '../../contract';
import { optionalString } from '../../config/options';
import { UsageError } from '../../config/urls';
import { RECURLY_MODEL, recurlyTablesFor } from '../../model/recurly/tables';
import { recurlyUnits, transformRecurlyPending } from '../../model/recurly/transform';
import { once } from '../../config/once';
import type { SourceBinding, SourceKindAdapter } from '../../pipeline/kinds';
import { registerSecret } from '../../telemetry/redact';
import { getApiKeySecret } from './credentials';
import { extractRest } from './extract';
import type { HttpOptions } from './http';
import { RECURLY_API_URL, RECURLY_ENDPOINTS, recurlyApi, recurlyEndpoints } from './recurly';

/** A paginated JSON API (the Recurly preset). */
export interface RestSourceSettings {
  kind: 'rest';
  apiKey: string;
  apiUrl?: string;
  /** Endpoints to extract; default all of the preset's. */
  endpoints?: string[];
  http?: Partial<HttpOptions>;
}

function endpointList(text: string | undefined): string[] | undefined {
  const list = text?.split(',').map((s) => s.trim()).filter(Boolean);
  return list?.length ? list : undefined;
}

export const restSource: SourceKindAdapter<RestSourceSettings> = {
  kind: 'rest',
  model: RECURLY_MODEL,
  tables: RECURLY_ENDPOINTS.map((e) => e.name),
  fromEnv(env) {
    const apiKey = once(async () => {
      const arn = env[ENV.sourceSecretArn];
      const key = arn ? await getApiKeySecret(arn, { endpoint: env[ENV.secretsEndpoint] }) : env[ENV.recurlyApiKey];
      if (!key) throw new UsageError(`neither ${ENV.sourceSecretArn} nor ${ENV.recurlyApiKey} is set`);
      return key;
    });
    return bindRest(apiKey, { apiUrl: env[ENV.apiUrl] ?? RECURLY_API_URL, endpoints: endpointList(env[ENV.endpoints]) });
  },
  cliOptions: {
    'api-url': { type: 'string' },
    'api-key-secret': { type: 'string' },
    endpoints: { type: 'string' },
  },
  async fromCli({ values, env }) {
    const apiUrl = optionalString(values['api-url']) ?? env.TRIBUTARY_RECURLY_API_URL ?? RECURLY_API_URL;
    if (!/^https?:\/\//.test(apiUrl)) throw new UsageError(`--api-url: expected an http(s) URL`);
    const endpoints = endpointList(optionalString(values.endpoints));
    try {
      recurlyEndpoints(endpoints);
    } catch (err) {
      throw new UsageError(`--endpoints: ${(err as Error).message}`);
    }
    const secretId = optionalString(values['api-key-secret']) ?? env.TRIBUTARY_RECURLY_API_KEY_SECRET;
    let apiKey: string;
    if (secretId) apiKey = await getApiKeySecret(secretId);
    else {
      const key = env[ENV.recurlyApiKey];
      if (!key) throw new UsageError(`recurly: give --api-key-secret <secret id> or set ${ENV.recurlyApiKey}`);
      registerSecret(key);
      apiKey = key;
    }
    return { kind: 'rest', apiKey, apiUrl, endpoints };
  },
  embeddedWarehouse: false,
  bind: (settings) => bindRest(async () => settings.apiKey, settings),
};

/** The binding, with the API key resolved on first use (a secret read, in a function). */
function bindRest(apiKey: () => Promise<string>, settings: Omit<RestSourceSettings, 'kind' | 'apiKey'>): SourceBinding {
    const endpoints = recurlyEndpoints(settings.endpoints);
    const names = endpoints.map((e) => e.name);
    return {
      kind: 'rest',
      model: RECURLY_MODEL,
      tables: names,
      extract: async (req) =>
        extractRest({
          lake: req.lake,
          source: req.source,
          api: recurlyApi(await apiKey(), settings.apiUrl ?? RECURLY_API_URL),
          endpoints,
          runId: req.runId,
          http: settings.http,
          onProgress: req.onProgress,
          checkpoint: req.checkpoint,
          objectRows: req.unitRows,
        }),
      transform: (ctx) => transformRecurlyPending({ lake: ctx.lake, source: ctx.source, tables: recurlyTablesFor(names), checkpoint: ctx.checkpoint, unitRows: ctx.unitRows }),
      transformUnits: (ctx) => recurlyUnits({ lake: ctx.lake, source: ctx.source, tables: recurlyTablesFor(names), checkpoint: ctx.checkpoint }),
    };
  }
