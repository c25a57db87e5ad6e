import request from 'supertest';
import { handoffRequestSchema } from '../../../src/contract/handoff';
import {
  BOT_FRAMEWORK_PATH,
  DIALOGFLOW_CX_PATH,
  LEX_V2_PATH,
  RASA_PATH,
} from '../../../src/http/routes/adapters';
import { appFixture } from '../../support/app-fixture';

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document generated from the contract schemas', async () => {
    const f = await appFixture();
    const res = await request(f.app).get('/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/handoffs',
        '/v1/handoffs/{handoffId}',
        '/v1/escalations/evaluate',
        '/healthz',
        '/readyz',
      ]),
    );
    expect(Object.keys(doc.paths['/v1/handoffs'].post.responses)).toEqual(
      expect.arrayContaining(['200', '201', '202', '400', '401', '409', '413', '415']),
    );
    expect(doc.components.securitySchemes.botJwt).toMatchObject({ type: 'http', scheme: 'bearer' });
    const req = doc.components.schemas.HandoffRequest;
    // Every top-level field of the zod schema is in the document, with its required ones.
    expect(Object.keys(req.properties).sort()).toEqual(Object.keys(handoffRequestSchema.shape).sort());
    expect(req.required).toEqual(expect.arrayContaining(['handoffId', 'source', 'intent', 'identity']));
    expect(req.required).not.toContain('operational');
    expect(req.additionalProperties).toBe(false);
    expect(req.properties.intent.properties.escalation.properties.reason.enum).toContain(
      'customer_requested_agent',
    );
    expect(doc.components.schemas.Problem.properties.errors).toBeDefined();
    expect(doc.components.schemas.HandoffAnswer.properties.status.enum).toContain('agent_assigned');
  });

  it('documents the platform adapter endpoints and /metrics, pointing to docs/bots.md', async () => {
    const f = await appFixture();
    const doc = (await request(f.app).get('/openapi.json')).body;
    const adapters = [BOT_FRAMEWORK_PATH, DIALOGFLOW_CX_PATH, LEX_V2_PATH, RASA_PATH];
    expect(adapters).toEqual([
      '/v1/adapters/bot-framework',
      '/v1/adapters/dialogflow-cx',
      '/v1/adapters/lex-v2',
      '/v1/adapters/rasa',
    ]);
    const ids = new Set<string>();
    for (const path of adapters) {
      const post = doc.paths[path]?.post;
      expect(post).toBeDefined();
      ids.add(post.operationId);
      const body = post.requestBody.content['application/json'].schema;
      expect(body.type).toBe('object');
      expect(body.description).toContain('docs/bots.md#');
      const statuses = Object.keys(post.responses);
      expect(statuses).toEqual(
        expect.arrayContaining(['200', '400', '401', '409', '413', '415', '500', '503']),
      );
      expect(post.responses['401'].content['application/problem+json'].schema.$ref).toBe(
        '#/components/schemas/Problem',
      );
      for (const requirement of post.security) {
        for (const scheme of Object.keys(requirement)) {
          expect(doc.components.securitySchemes[scheme]).toBeDefined();
        }
      }
    }
    expect(ids.size).toBe(adapters.length);
    expect(Object.keys(doc.paths[BOT_FRAMEWORK_PATH].post.responses)).toEqual(
      expect.arrayContaining(['201', '202']),
    );
    expect(doc.paths[BOT_FRAMEWORK_PATH].post.security).toEqual([{ botJwt: [] }]);
    expect(doc.paths[RASA_PATH].post.security).toEqual([{ adapterToken: [] }, { adapterBasic: [] }]);

    const metrics = doc.paths['/metrics']?.get;
    expect(metrics).toMatchObject({ operationId: 'metrics', security: [] });
    expect(Object.keys(metrics.responses['200'].content)[0]).toMatch(/^text\/plain/);
    // Every operation id is unique across the document.
    const all = Object.values(doc.paths).flatMap((p) =>
      Object.values(p as Record<string, { operationId: string }>).map((op) => op.operationId),
    );
    expect(new Set(all).size).toBe(all.length);
  });

  it('has a resolvable $ref everywhere', async () => {
    const f = await appFixture();
    const doc = (await request(f.app).get('/openapi.json')).body;
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(0);
    const unresolved: string[] = [];
    for (const r of refs) {
      const target = r.slice(8, -1);
      // A local JSON pointer (RFC 6901), followed segment by segment from the document's root.
      let node: unknown = target.startsWith('#/') ? doc : undefined;
      for (const raw of target.startsWith('#/') ? target.slice(2).split('/') : []) {
        const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
        node =
          node !== null && typeof node === 'object' && Object.hasOwn(node, key)
            ? (node as Record<string, unknown>)[key]
            : undefined;
      }
      if (node === null || typeof node !== 'object') unresolved.push(target);
    }
    expect(unresolved).toEqual([]);
  });
});
