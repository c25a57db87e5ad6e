/**
 * Bot bearer tokens. The bench is the bot platform: it holds an RS256 key pair, gives the service the
 * public key (BOT_AUTH_PUBLIC_KEYS), and signs a few tokens up front, as bots reuse one token for its
 * lifetime rather than signing one per request.
 */
import { generateKeyPairSync } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';

export interface BotAuth {
  issuer: string;
  audience: string;
  publicKeyPem: string;
  tokens: string[];
  /** Round-robin over the tokens (several bots). */
  next(): string;
}

export async function createBotAuth(count = 8, lifetimeS = 1800): Promise<BotAuth> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const key = await importPKCS8(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'RS256');
  const issuer = 'https://bots.bench.local';
  const audience = 'fsc-handoff';
  const now = Math.floor(Date.now() / 1000);
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    tokens.push(
      await new SignJWT({ scope: 'handoffs:write handoffs:read' })
        .setProtectedHeader({ alg: 'RS256' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(`bench-bot-${i}`)
        .setIssuedAt(now - 5)
        .setNotBefore(now - 5)
        .setExpirationTime(now + lifetimeS)
        .sign(key),
    );
  }
  let i = 0;
  return {
    issuer,
    audience,
    publicKeyPem,
    tokens,
    next() {
      i = (i + 1) % tokens.length;
      return `Bearer ${tokens[i] ?? ''}`;
    },
  };
}
