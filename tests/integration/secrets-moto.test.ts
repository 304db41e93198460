import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  SecretError,
  clearSecretCache,
  getPostgresSecret,
  getSlackToken,
  postgresUrlFromSecret,
} from '../../runtime/config/secrets';
import { clearRegisteredSecrets, redact } from '../../runtime/telemetry/redact';
import { motoUrl, uniqueName, useMotoCredentials } from '../support/services';

const PASSWORD = 'moto-Pw-3b71e0';
let sm: SecretsManagerClient;

beforeAll(() => {
  useMotoCredentials();
  sm = new SecretsManagerClient({ endpoint: motoUrl(), region: 'eu-west-2' });
});
afterAll(() => sm.destroy());
afterEach(() => {
  clearSecretCache();
  clearRegisteredSecrets();
});

async function createSecret(value: string): Promise<string> {
  const out = await sm.send(
    new CreateSecretCommand({ Name: uniqueName('tributary-test'), SecretString: value }),
  );
  return out.ARN as string;
}

async function secretError(p: Promise<unknown>): Promise<SecretError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof SecretError)) throw new Error(`expected a SecretError, got ${String(err)}`);
  return err;
}

describe('secrets from Secrets Manager (moto)', () => {
  const endpoint = (): { endpoint: string } => ({ endpoint: motoUrl() });

  it('reads postgres credentials, builds a URL, and masks the password afterwards', async () => {
    const arn = await createSecret(
      JSON.stringify({
        host: '127.0.0.1',
        port: '5432',
        database: 'totesys',
        user: 'etl',
        password: PASSWORD,
      }),
    );
    const creds = await getPostgresSecret(arn, endpoint());
    expect(creds).toEqual({
      host: '127.0.0.1',
      port: 5432,
      database: 'totesys',
      user: 'etl',
      password: PASSWORD,
    });
    expect(postgresUrlFromSecret(creds)).toBe(`postgres://etl:${PASSWORD}@127.0.0.1:5432/totesys`);
    expect(redact(`error near ${PASSWORD}`)).toBe('error near ***');
  });

  it('caches the value until the cache is cleared', async () => {
    const arn = await createSecret(JSON.stringify({ token: 'xoxb-first-1' }));
    expect(await getSlackToken(arn, endpoint())).toBe('xoxb-first-1');
    await sm.send(
      new PutSecretValueCommand({ SecretId: arn, SecretString: JSON.stringify({ token: 'xoxb-second-2' }) }),
    );
    expect(await getSlackToken(arn, endpoint())).toBe('xoxb-first-1');
    clearSecretCache(arn);
    expect(await getSlackToken(arn, endpoint())).toBe('xoxb-second-2');
  });

  it('a missing key names the secret and the key, never the password', async () => {
    const arn = await createSecret(
      JSON.stringify({ host: 'h', port: 5432, database: 'd', password: PASSWORD }),
    );
    const err = await secretError(getPostgresSecret(arn, endpoint()));
    expect(err.message).toBe(`secret ${arn}: missing key "user" (or "username")`);
  });

  it('malformed JSON names the secret only', async () => {
    const arn = await createSecret(`{"password": "${PASSWORD}", oops`);
    const err = await secretError(getPostgresSecret(arn, endpoint()));
    expect(err.message).toContain(arn);
    expect(err.message).not.toContain(PASSWORD);
  });

  it('a secret that does not exist fails naming it, and is not cached as a failure', async () => {
    const name = uniqueName('absent');
    const err = await secretError(getSlackToken(name, endpoint()));
    expect(err.message).toContain(`secret ${name}: cannot be read (ResourceNotFoundException`);
    await sm.send(
      new CreateSecretCommand({ Name: name, SecretString: JSON.stringify({ token: 'xoxb-now-here' }) }),
    );
    expect(await getSlackToken(name, endpoint())).toBe('xoxb-now-here');
  });
});
