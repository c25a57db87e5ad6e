// The module format is CommonJS compiled by swc; these are the packages that are awkward to load
// under jest (jose is ESM-only, jsforce and @salesforce/core are CommonJS, the LWC preset is babel-based).
import * as jose from 'jose';
import { Connection as JsforceConnection } from 'jsforce';
import { SfError } from '@salesforce/core';

describe('module format', () => {
  it('loads jose (ESM-only) and signs and verifies a token', async () => {
    const secret = new TextEncoder().encode('a-test-secret-that-is-long-enough-for-hs256');
    const token = await new jose.SignJWT({ scope: 'handoff' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('bot')
      .sign(secret);
    const { payload } = await jose.jwtVerify(token, secret, { issuer: 'bot' });
    expect(payload.scope).toBe('handoff');
  });

  it('loads jsforce and builds a connection with an explicit API version', () => {
    const conn = new JsforceConnection({ instanceUrl: 'http://127.0.0.1:1', version: '63.0' });
    expect(conn.version).toBe('63.0');
  });

  it('loads @salesforce/core', () => {
    const err = new SfError('boom', 'TestError');
    expect(err.name).toBe('TestError');
  });

  it('loads the LWC jest preset configuration', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { jestConfig } = require('@salesforce/sfdx-lwc-jest/config') as {
      jestConfig: { testEnvironment: string };
    };
    expect(jestConfig.testEnvironment).toBe('jsdom');
  });
});
