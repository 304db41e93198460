import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { motoUrl, uniqueName } from './services';

/**
 * Stores a PostgreSQL URL in moto's Secrets Manager in the format the README tells an operator
 * to store (`{host, port, database, user, password}`) and returns the secret's ARN.
 */
export async function postgresSecretFor(url: string, namePrefix = 'tributary/db'): Promise<string> {
  const u = new URL(url);
  const client = new SecretsManagerClient({ endpoint: motoUrl(), region: 'eu-west-2' });
  const res = await client.send(
    new CreateSecretCommand({
      Name: uniqueName(namePrefix),
      SecretString: JSON.stringify({ host: u.hostname, port: Number(u.port), database: u.pathname.slice(1), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) }),
    }),
  );
  return res.ARN!;
}
