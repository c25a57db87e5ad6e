import { PassThrough } from 'node:stream';
import { createLogger, scrubString, scrubValue } from '../../../src/log';

describe('log scrubbing', () => {
  it('removes tokens, keys, credentials in URLs, card numbers and e-mails from text', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib3QifQ.c2lnbmF0dXJl';
    const text = `auth Bearer ${jwt} pg postgres://app:s3cret@db/h card 4111 1111 1111 1111 mail a.b@example.com`;
    const out = scrubString(text);
    for (const leaked of [jwt, 's3cret', '4111 1111 1111 1111', 'a.b@example.com'])
      expect(out).not.toContain(leaked);
    expect(out).toContain('postgres://');
    expect(scrubString('-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----')).toBe('[redacted]');
  });

  it('scrubs each kind exactly, and returns text with none of them unchanged', () => {
    expect(scrubString('user a.b@example.com wrote')).toBe('user [email] wrote');
    expect(scrubString('https://app:s3cret@db.example.com/x')).toBe('https://[redacted]@db.example.com/x');
    expect(scrubString('at @ mention, no address')).toBe('at @ mention, no address');
    expect(scrubString('token eyJhbGciOi.eyJzdWIiOi.c2ln end')).toBe('token [jwt] end');
    expect(scrubString('eyJ alone is no token')).toBe('eyJ alone is no token');
    expect(scrubString('key -----BEGIN PUBLIC KEY-----\nabc')).toBe('key [redacted]');
    expect(scrubString('-----BEGIN without its end')).toBe('-----BEGIN without its end');
    expect(scrubString('BASIC dXNlcjpwYXNzd29yZA==')).toBe('BASIC [redacted]');
    expect(scrubString('handoff submitted')).toBe('handoff submitted');
    expect(scrubString('b7d0c7a2-1c1e-4b8e-9b55-2f1b3a0c9d11')).toBe('b7d0c7a2-1c1e-4b8e-9b55-2f1b3a0c9d11');
  });

  it('replaces values under secret-looking keys whole, at any depth', () => {
    const out = scrubValue({
      headers: { authorization: 'Bearer abc.def.ghi', 'x-request-id': 'r1' },
      salesforce: { clientSecret: 'shh', privateKey: 'pem', accessToken: 't' },
      nested: [{ password: 'p' }],
    });
    expect(JSON.stringify(out)).not.toMatch(/abc\.def|shh|"pem"|"t"|"p"/);
    expect(out).toMatchObject({ headers: { 'x-request-id': 'r1' } });
  });

  it('writes one scrubbed JSON object per line', async () => {
    const stream = new PassThrough();
    const chunks: string[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c.toString()));
    const logger = createLogger({ level: 'info', stream });
    logger.child({ requestId: 'req-1' }).info('login failed for 4111111111111111', {
      token: 'abc',
      error: new Error('SSN 123-45-6789 rejected'),
    });
    await new Promise((r) => setImmediate(r));
    const line = JSON.parse(chunks.join('').trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'info', requestId: 'req-1', token: '[redacted]' });
    expect(JSON.stringify(line)).not.toMatch(/4111111111111111|123-45-6789/);
  });
});
