import { languageTag, stableHandoffId, channelFromHint, isoTime } from '../../../src/adapters/common';
import { handoffIdSchema } from '../../../src/contract/handoff';
import { sharedSecretAuthenticator, sharedSecretAuthSchema } from '../../../src/adapters';

describe('adapter helpers', () => {
  it('normalises the language spellings platforms use', () => {
    expect(['En-US', 'en_GB', 'es', 'en-gb', 'klingon!'].map(languageTag)).toEqual([
      'en-US',
      'en-GB',
      'es',
      'en-GB',
      undefined,
    ]);
  });

  it('makes stable, valid handoff ids, hashing ids that do not fit', () => {
    expect(stableHandoffId('bf', 'conv|1', 'act 2')).toBe('bf:conv-1:act-2');
    const long = stableHandoffId('lex', 'x'.repeat(200));
    expect(long).toMatch(/^lex:[0-9a-f]{40}$/);
    expect(handoffIdSchema.safeParse(long).success).toBe(true);
    expect(stableHandoffId('lex', 'x'.repeat(200))).toBe(long);
  });

  it('maps channel hints', () => {
    expect(
      ['directline', 'Twilio-SMS', 'whatsapp', 'Amazon Connect', 'facebook', 'carrier-pigeon'].map((h) =>
        channelFromHint(h, 'web_chat'),
      ),
    ).toEqual(['web_chat', 'sms', 'whatsapp', 'voice', 'social', 'other']);
  });

  it('reads ISO, epoch seconds and epoch milliseconds', () => {
    expect(isoTime('2026-11-21T10:00:00.1234567Z')).toBe('2026-11-21T10:00:00.123Z');
    expect(isoTime(1795255200)).toBe('2026-11-21T10:00:00.000Z');
    expect(isoTime('1795255200000')).toBe('2026-11-21T10:00:00.000Z');
    expect(isoTime('soon')).toBeUndefined();
  });

  it('answers undefined (never throws) for an epoch beyond the range of a date', () => {
    expect(isoTime(1e308)).toBeUndefined();
    expect(isoTime(99999999999999, 'seconds')).toBeUndefined();
    expect(isoTime('9999999999999.5', 'seconds')).toBe(new Date(9999999999999).toISOString());
  });
});

describe('sharedSecretAuthenticator', () => {
  const auth = sharedSecretAuthenticator(
    sharedSecretAuthSchema.parse({
      tokens: ['s3cret-token-for-cx-0001'],
      basic: [{ username: 'cx-webhook', password: 'correct-horse-battery' }],
      headerName: 'x-handoff-token',
      queryParam: 'token',
    }),
  );
  const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;

  it.each([
    ['a bearer token', { authorization: 'Bearer s3cret-token-for-cx-0001' }, {}, 'shared-token'],
    ['basic credentials', { authorization: basic('cx-webhook:correct-horse-battery') }, {}, 'cx-webhook'],
    ['the token header', { 'x-handoff-token': 's3cret-token-for-cx-0001' }, {}, 'shared-token'],
    ['the token query parameter', {}, { token: 's3cret-token-for-cx-0001' }, 'shared-token'],
  ])('accepts %s', async (_what, headers, query, principal) => {
    await expect(auth({ headers, query })).resolves.toEqual({ principal });
  });

  it.each([
    ['nothing', {}, 'Credentials are required'],
    [
      'a wrong bearer token',
      { authorization: 'Bearer s3cret-token-for-cx-0002' },
      'The credentials sent are not valid',
    ],
    ['a wrong password', { authorization: basic('cx-webhook:wrong') }, 'The credentials sent are not valid'],
    ['a token prefix', { authorization: 'Bearer s3cret-token' }, 'The credentials sent are not valid'],
  ])('refuses %s with 401', async (_what, headers, message) => {
    await expect(auth({ headers })).rejects.toMatchObject({ status: 401, code: 'UNAUTHENTICATED', message });
  });

  it('refuses a configuration without any secret, or with a short token', () => {
    expect(sharedSecretAuthSchema.safeParse({}).success).toBe(false);
    expect(sharedSecretAuthSchema.safeParse({ tokens: ['short'] }).success).toBe(false);
  });
});
