/** Shared-secret authentication for the adapter routes of platforms that cannot sign a JWT. */
import type { Request } from 'express';
import { sharedSecretAuthenticator } from '../../../adapters';
import type { SharedSecretAuth } from '../../../adapters';
import type { Authenticate } from './adapter-route';

export function sharedSecretAuth(config: SharedSecretAuth): Authenticate {
  const verify = sharedSecretAuthenticator(config);
  return async (req: Request) => {
    const who = await verify({ headers: req.headers, query: req.query });
    return { subject: who.principal };
  };
}

export function challengeFor(config: SharedSecretAuth): string {
  return config.tokens.length > 0 ? 'Bearer realm="fsc-handoff"' : 'Basic realm="fsc-handoff"';
}
