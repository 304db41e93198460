import {
  SecretError,
  parsePostgresSecret,
  parseSlackSecret,
  postgresUrlFromSecret,
} from '../../runtime/config/secrets';
import { clearRegisteredSecrets, redact } from '../../runtime/telemetry/redact';

const ARN = 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:totesys-source-AbCdEf';
const PASSWORD = 'Zq9-very-secret-pw';

afterEach(() => clearRegisteredSecrets());

function failure(fn: () => unknown): SecretError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SecretError) return err;
    throw err;
  }
  throw new Error('expected a SecretError');
}

describe('parsePostgresSecret', () => {
  it('reads the seeds shape, port as a string', () => {
    const creds = parsePostgresSecret(
      ARN,
      JSON.stringify({ host: 'db', port: '5432', database: 'totesys', user: 'etl', password: PASSWORD }),
    );
    expect(creds).toEqual({ host: 'db', port: 5432, database: 'totesys', user: 'etl', password: PASSWORD });
  });

  it('accepts the RDS-managed spelling (username, dbname, numeric port)', () => {
    const creds = parsePostgresSecret(
      ARN,
      JSON.stringify({ host: 'db', port: 6543, dbname: 'wh', username: 'loader', password: PASSWORD }),
    );
    expect(creds).toMatchObject({ port: 6543, database: 'wh', user: 'loader' });
  });

  it('names the secret and the missing key, never the password', () => {
    const err = failure(() =>
      parsePostgresSecret(ARN, JSON.stringify({ host: 'db', port: '5432', user: 'etl', password: PASSWORD })),
    );
    expect(err.message).toContain(ARN);
    expect(err.message).toContain('"database"');
    expect(err.message).not.toContain(PASSWORD);
  });

  it('reports malformed JSON without quoting the input', () => {
    // V8's own JSON.parse message quotes the start of the input; that must not surface.
    const err = failure(() => parsePostgresSecret(ARN, `${PASSWORD} {"host":`));
    expect(err.message).toContain(ARN);
    expect(err.message).toContain('not valid JSON');
    expect(err.message).not.toContain(PASSWORD);
  });

  it('rejects a bad port naming the key only', () => {
    const err = failure(() =>
      parsePostgresSecret(
        ARN,
        JSON.stringify({ host: 'h', port: PASSWORD, database: 'd', user: 'u', password: 'x1234' }),
      ),
    );
    expect(err.message).toContain('"port"');
    expect(err.message).not.toContain(PASSWORD);
  });

  it('registers the password so later output masks it, even when a key is missing', () => {
    failure(() => parsePostgresSecret(ARN, JSON.stringify({ password: PASSWORD })));
    expect(redact(`driver said: password ${PASSWORD} rejected`)).not.toContain(PASSWORD);
  });
});

describe('postgresUrlFromSecret', () => {
  it('URL-encodes user, password and database', () => {
    const url = postgresUrlFromSecret({
      host: 'db',
      port: 5432,
      database: 'to tes',
      user: 'e@l',
      password: 'p@ss/word:1',
    });
    expect(url).toBe('postgres://e%40l:p%40ss%2Fword%3A1@db:5432/to%20tes');
    const parsed = new URL(url);
    expect(decodeURIComponent(parsed.password)).toBe('p@ss/word:1');
    expect(redact(url)).toBe('postgres://e%40l:***@db:5432/to%20tes');
  });
});

describe('parseSlackSecret', () => {
  it('returns the token and names the key when missing', () => {
    expect(parseSlackSecret('slack', '{"token":"xoxb-1-2-abc"}')).toBe('xoxb-1-2-abc');
    expect(failure(() => parseSlackSecret('slack', '{"tok":"xoxb-1"}')).message).toBe(
      'secret slack: missing key "token"',
    );
  });

  it('also reads a bare bot token, and registers it for redaction', () => {
    expect(parseSlackSecret('slack', 'xoxb-9-8-bare\n')).toBe('xoxb-9-8-bare');
    expect(redact('token xoxb-9-8-bare leaked')).not.toContain('xoxb-9-8-bare');
    expect(failure(() => parseSlackSecret('slack', 'not-a-token')).message).toBe(
      'secret slack: is not valid JSON (expected an object of key/value pairs)',
    );
  });
});
