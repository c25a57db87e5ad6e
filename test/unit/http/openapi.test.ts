import request from 'supertest';
import { handoffRequestSchema } from '../../../src/contract/handoff';
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

  it('has a resolvable $ref everywhere', async () => {
    const f = await appFixture();
    const doc = (await request(f.app).get('/openapi.json')).body;
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(0);
    for (const r of refs) {
      const target = r.slice(8, -1);
      if (target.startsWith('#/components/schemas/')) {
        expect(doc.components.schemas[target.split('/').pop() as string]).toBeDefined();
      } else {
        expect(target.startsWith('#/')).toBe(true);
      }
    }
  });
});
