import {
  clearRegisteredSecrets,
  errorMessage,
  redact,
  redactedError,
  registerSecret,
} from '../../runtime/telemetry/redact';
import { parsePostgresUrl, redactUrl } from '../../runtime/config/urls';
import { duckErrorMessage } from '../../runtime/model/duckdb';

afterEach(() => clearRegisteredSecrets());

describe('redact', () => {
  it('masks the password of postgres URLs and keeps user and host', () => {
    expect(redact('connect postgres://etl:s3cr3t-pw@db.internal:5432/totesys failed')).toBe(
      'connect postgres://etl:***@db.internal:5432/totesys failed',
    );
    expect(redact('postgresql://u:p%40ss@h/db')).toBe('postgresql://u:***@h/db');
  });

  it('leaves URLs without a password alone', () => {
    expect(redact('postgres://db.internal:5432/totesys and https://example.com/a@b')).toBe(
      'postgres://db.internal:5432/totesys and https://example.com/a@b',
    );
  });

  it('masks password pairs in key=value and JSON shapes', () => {
    expect(redact('host=h password=hunter22 user=u')).toBe('host=h password=*** user=u');
    expect(redact('{"user":"u","password":"hunter22"}')).toBe('{"user":"u","password":"***"}');
    expect(redact('PGPASSWORD=hunter22')).toBe('PGPASSWORD=***');
  });

  it('masks registered secrets anywhere, raw and URL-encoded', () => {
    registerSecret('Tr0ub4dor&3 x');
    expect(redact('auth failed for Tr0ub4dor&3 x')).toBe('auth failed for ***');
    expect(redact(`url part ${encodeURIComponent('Tr0ub4dor&3 x')}`)).toBe('url part ***');
  });

  it('masks extra secrets given per call, longest first', () => {
    expect(redact('token abcd-efgh', ['abcd', 'abcd-efgh'])).toBe('token ***');
  });

  it('does not register values too short to be credentials', () => {
    registerSecret('ab');
    expect(redact('tab ab')).toBe('tab ab');
  });

  it('errorMessage and redactedError carry no secret and keep the error name', () => {
    registerSecret('letmein-9');
    const err = new Error('login as bob with letmein-9 refused');
    err.name = 'SourceAuthError';
    expect(errorMessage(err)).toBe('login as bob with *** refused');
    const copy = redactedError(err);
    expect(copy.name).toBe('SourceAuthError');
    expect(copy.message).toBe('login as bob with *** refused');
    expect(copy.stack).not.toContain('letmein-9');
    expect(errorMessage('plain letmein-9')).toBe('plain ***');
  });

  it('masks a URL password written with unencoded @ / # ? : whole', () => {
    const url = 'postgres://etl:S3cr3t:p@ss/w#rd?x@db.internal:5432/totesys';
    expect(redact(`connect ${url} failed`)).toBe('connect postgres://etl:***@db.internal:5432/totesys failed');
    expect(redactUrl(url)).toBe('postgres://etl:***@db.internal:5432/totesys');
    expect(redactUrl(url)).not.toMatch(/ss\/w|rd\?x/);
  });

  it('registers the password of a URL given by flag, as written and decoded', () => {
    parsePostgresUrl('postgres://etl:Fl4g%20pass@db/totesys', '--source');
    expect(redact('driver said: Fl4g pass rejected')).toBe('driver said: *** rejected');
    parsePostgresUrl('postgres://etl:S3cr3t:p@ss/w#rd?x@db/totesys', '--warehouse');
    expect(redact('echo S3cr3t:p@ss/w#rd?x')).toBe('echo ***');
  });

  it('masks a secret registered with a trailing newline when printed without it', () => {
    registerSecret('n3wline-secret\n');
    expect(redact('auth n3wline-secret failed')).toBe('auth *** failed');
  });

  it('masks Authorization headers, token=, api_key=, PWD= and quoted values with spaces', () => {
    expect(redact('Authorization: Basic cmtfdGVzdDo=')).toBe('Authorization: Basic ***');
    expect(redact('{"authorization":"Bearer eyJhbGciOi.x"}')).toBe('{"authorization":"Bearer ***"}');
    expect(redact('GET /v2/x?token=abc123&api_key=k-99887 ok')).toBe('GET /v2/x?token=***&api_key=*** ok');
    expect(redact('Driver={PostgreSQL};UID=etl;PWD=odbc-pw-1;Server=h')).toBe('Driver={PostgreSQL};UID=etl;PWD=***;Server=h');
    expect(redact('access_token: t0k3n-value')).toBe('access_token: ***');
    expect(redact('password="my secret pass" user=u')).toBe('password="***" user=u');
    expect(redact(`{"api_key": "two words here"}`)).toBe('{"api_key": "***"}');
    expect(redact("secret='a b c'")).toBe("secret='***'");
  });

  it('shows where DuckDB failed, never the row values it quotes', () => {
    const csv = [
      'Conversion Error: CSV Error on Line: 3',
      'Original Line: 2,Acme Ltd,secret-row-value 77',
      'Error when converting column "n". Could not convert string "secret-row-value 77" to \'INTEGER\'',
      '',
      '  file = /tmp/run/sales_order-0.csv.gz',
      '  delimiter = ,',
    ].join('\n');
    expect(duckErrorMessage(csv)).toBe(
      'Conversion Error: CSV Error on Line: 3; Error when converting column "n". Could not convert string *** to \'INTEGER\'; file = /tmp/run/sales_order-0.csv.gz',
    );
    expect(duckErrorMessage("Conversion Error: Could not convert string 'Jane Doe' to INT32\n\nLINE 1: SELECT CAST(n AS INTEGER)")).toBe('Conversion Error: Could not convert string *** to INT32');
    expect(duckErrorMessage('Conversion Error: invalid timestamp field format: "31/02 x", expected format is (YYYY-MM-DD)')).toBe(
      'Conversion Error: invalid timestamp field format: ***, expected format is (YYYY-MM-DD)',
    );
  });
});
