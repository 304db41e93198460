import {
  clearRegisteredSecrets,
  errorMessage,
  redact,
  redactedError,
  registerSecret,
} from '../../runtime/telemetry/redact';

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
});
