import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Client } from 'pg';
import { clearSecretCache } from '../../runtime/config/secrets';
import { handler as extractHandler } from '../../runtime/handlers/extract';
import { handler as transformHandler } from '../../runtime/handlers/transform';
import { handler as loadHandler } from '../../runtime/handlers/load';
import { main } from '../../runtime/cli/main';
import { openDuck } from '../../runtime/model/duckdb';
import { adminPgUrl, motoUrl, uniqueName, useMotoCredentials } from '../support/services';
import { totesysFixture, type TotesysFixture } from '../support/totesys';

// Characters that need URL-encoding, so both the raw and the encoded form are checked.
const PASSWORD = `Tr1b:ut@ry/S3cret%${randomBytes(3).toString('hex')}`;
const ENCODED = encodeURIComponent(PASSWORD);

async function createLoginRole(databaseUrl: string, owner: boolean): Promise<string> {
  const role = `etl_${randomBytes(4).toString('hex')}`;
  const db = new URL(databaseUrl).pathname.slice(1);
  const admin = new Client({ connectionString: adminPgUrl() });
  await admin.connect();
  await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD ${admin.escapeLiteral(PASSWORD)}`);
  if (owner) await admin.query(`ALTER DATABASE "${db}" OWNER TO ${role}`);
  await admin.end();
  const inDb = new Client({ connectionString: databaseUrl });
  await inDb.connect();
  if (owner) await inDb.query(`ALTER SCHEMA public OWNER TO ${role}`);
  else await inDb.query(`GRANT USAGE ON SCHEMA public TO ${role}; GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
  await inDb.end();
  return role;
}

async function secretFor(databaseUrl: string, user: string): Promise<string> {
  const u = new URL(databaseUrl);
  const sm = new SecretsManagerClient({ endpoint: motoUrl(), region: 'eu-west-2' });
  const res = await sm.send(
    new CreateSecretCommand({
      Name: uniqueName('tributary/scan'),
      SecretString: JSON.stringify({ host: u.hostname, port: Number(u.port), database: u.pathname.slice(1), user, password: PASSWORD }),
    }),
  );
  return res.ARN!;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map((p) => join(dir, String(p)))
    .filter((p) => statSync(p).isFile());
}

describe('a whole pipeline pass with a known password in every secret', () => {
  let fx: TotesysFixture;
  const printed: string[] = [];
  const restore: Array<() => void> = [];

  beforeAll(async () => {
    useMotoCredentials();
    clearSecretCache();
    fx = await totesysFixture();
  });

  afterEach(() => {
    for (const r of restore.splice(0)) r();
  });

  function captureOutput(): void {
    for (const stream of [process.stdout, process.stderr]) {
      const original = stream.write.bind(stream);
      stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        printed.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        // Swallowed: the test reads what would have been printed.
        void rest;
        return true;
      }) as typeof stream.write;
      restore.push(() => (stream.write = original as typeof stream.write));
    }
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      const original = console[method];
      console[method] = (...args: unknown[]) => printed.push(args.map(String).join(' '));
      restore.push(() => (console[method] = original));
    }
  }

  it('appears in no log line, error message or lake object', async () => {
    const sourceRole = await createLoginRole(fx.sourceUrl, false);
    const warehouseRole = await createLoginRole(fx.warehouseUrl, true);
    const env: NodeJS.ProcessEnv = {
      TRIBUTARY_LAKE: fx.lakeDir,
      TRIBUTARY_SECRETS_ENDPOINT: motoUrl(),
      TRIBUTARY_SOURCE_SECRET_ARN: await secretFor(fx.sourceUrl, sourceRole),
      TRIBUTARY_WAREHOUSE_SECRET_ARN: await secretFor(fx.warehouseUrl, warehouseRole),
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
    };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    restore.push(() => {
      for (const key of Object.keys(env)) delete process.env[key];
      Object.assign(process.env, saved);
    });
    captureOutput();

    const errors: string[] = [];
    const extracted = await extractHandler({});
    await transformHandler({ runId: extracted.runId });
    const loaded = await loadHandler({ runId: extracted.runId, runStartedAt: extracted.runStartedAt });
    expect(loaded.factsAppended).toBe(11187 + 4649 + 15836);

    // Failures with the password in play: a warehouse that refuses the connection, a CLI given
    // URLs with the password, a source that is down.
    process.env.TRIBUTARY_WAREHOUSE_SECRET_ARN = await secretFor(fx.warehouseUrl.replace(/:\d+\//, ':1/'), warehouseRole);
    await loadHandler({ runId: 'x' }).catch((err: Error) => errors.push(err.message, String(err.stack)));
    const cliOut: string[] = [];
    const io = { out: (t: string) => cliOut.push(t), err: (t: string) => cliOut.push(t), interactive: false, env: {} };
    const withPassword = (url: string, user: string) => {
      const u = new URL(url);
      u.username = user;
      u.password = ENCODED;
      return u.toString();
    };
    await main(['run', '--source', withPassword(fx.sourceUrl, sourceRole).replace(/:\d+\//, ':1/'), '--warehouse', withPassword(fx.warehouseUrl, warehouseRole), '--lake', fx.lakeDir], io);
    await main(['run', '--source', withPassword(fx.sourceUrl, sourceRole), '--warehouse', withPassword(fx.warehouseUrl, 'nobody'), '--lake', fx.lakeDir], io);
    expect(cliOut.some((l) => /unreachable|password authentication failed|failed/.test(l))).toBe(true);
    expect(errors.length).toBeGreaterThan(0);

    const lakeTexts: string[] = [];
    const duck = await openDuck(fx.lakeDir);
    try {
      for (const file of filesUnder(fx.lakeDir)) {
        if (file.endsWith('.gz')) lakeTexts.push(gunzipSync(readFileSync(file)).toString('utf8'));
        else if (file.endsWith('.parquet')) {
          const rows = await duck.rows(`SELECT * FROM read_parquet('${file.replace(/'/g, "''")}')`);
          lakeTexts.push(JSON.stringify(rows));
        } else lakeTexts.push(readFileSync(file, 'utf8'));
      }
    } finally {
      duck.close();
    }
    expect(lakeTexts.length).toBeGreaterThan(20);
    expect(printed.join('').length).toBeGreaterThan(1000);

    const haystacks = { logs: printed.join('\n'), errors: errors.join('\n'), cli: cliOut.join('\n'), lake: lakeTexts.join('\n') };
    for (const [where, text] of Object.entries(haystacks)) {
      expect({ where, raw: text.includes(PASSWORD), encoded: text.includes(ENCODED) }).toEqual({ where, raw: false, encoded: false });
    }
  });
});
