import express from 'express';
import type { Express } from 'express';

export interface AppDeps {
  readonly version: string;
}

/** Builds the HTTP app without listening, so tests can drive it with supertest or on port 0. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', version: deps.version });
  });
  return app;
}
