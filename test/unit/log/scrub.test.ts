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
