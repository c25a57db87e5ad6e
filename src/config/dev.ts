/**
 * Settings of `npm run dev` only (the service's own configuration still comes from loadConfig). Read
 * here because src/config is the only reader of the environment.
 */
import { z } from 'zod';
import { LOG_LEVELS } from './schema';
import { ConfigError, type ConfigProblem } from './load';

export const devSettingsSchema = z
  .object({
    /** Where the org emulator listens (0 = any free port). */
    emulatorPort: z.coerce.number().int().min(0).max(65535).default(4010),
    /** The service's log level in dev: quiet (warn) unless asked. */
    logLevel: z.enum(LOG_LEVELS).default('warn'),
  })
  .strict();

export type DevSettings = z.output<typeof devSettingsSchema>;

const DEV_ENV: Record<keyof DevSettings, string> = { emulatorPort: 'EMULATOR_PORT', logLevel: 'LOG_LEVEL' };

export function loadDevSettings(env: Record<string, string | undefined> = process.env): DevSettings {
  const raw: Record<string, string> = {};
  for (const [key, name] of Object.entries(DEV_ENV)) {
    const v = env[name];
    if (v !== undefined && v.trim() !== '') raw[key] = v.trim();
  }
  const parsed = devSettingsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems: ConfigProblem[] = parsed.error.issues.map((i) => {
    const key = String(i.path[0]) as keyof DevSettings;
    return { path: `dev.${key}`, env: DEV_ENV[key], message: i.message };
  });
  throw new ConfigError(problems);
}

/** The JWT connected app an org emulator offers (structurally; src/config never imports the emulator). */
export interface EmulatorJwtApp {
  loginUrl: string;
  audience: string;
  clientId: string;
  username: string;
  privateKeyPem: string;
}

/** The service's Salesforce settings for logging in to an org emulator with the JWT bearer flow. */
export function emulatorSalesforceSettings(app: EmulatorJwtApp) {
  return {
    mode: 'emulator' as const,
    loginUrl: app.loginUrl,
    audience: app.audience,
    clientId: app.clientId,
    username: app.username,
    privateKey: app.privateKeyPem,
  };
}
