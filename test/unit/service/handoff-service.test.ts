import { AppError } from '../../../src/errors';
import { createSilentLogger } from '../../../src/log';
import { bodyHash, canonicalJson, createHandoffService, validateHandoff } from '../../../src/service';
import { repoPolicy, repoRouting } from '../../support/app-fixture';
import { collectGarbage, gate } from '../../support/gc';
import { cardDeclinedAbroad, handoff } from '../../support/handoff-factory';
import {
  createMemoryDeliverer,
  deliverAtOnce,
  neverInBudget,
  type DeliverFn,
} from '../../support/memory-deliverer';

const FIXED = new Date('2026-11-21T10:00:10Z');
const ctx = { requestId: 'req-test-0001' };

function service(deliver?: DeliverFn) {
  const deliverer = createMemoryDeliverer(deliver);
  const svc = createHandoffService({
    deliverer,
    policy: repoPolicy(),
    routing: repoRouting(),
    logger: createSilentLogger(),
    now: () => FIXED,
  });
  return { svc, deliverer };
}

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected a rejection');
}

describe('handoff service', () => {
  it('does not hold the request body while delivery runs (only the redacted copy goes on)', async () => {
    const held = gate();
    const { svc } = service(async (prepared) => {
      await held.opened;
      return deliverAtOnce(prepared);
    });
    // Made in a function of its own, so no variable of this test holds the body either.
    const submit = (): { body: WeakRef<object>; answer: Promise<unknown> } => {
      const body = cardDeclinedAbroad();
      return { body: new WeakRef(body), answer: svc.submit(body, ctx) };
    };
    const { body, answer } = submit();
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    expect(body.deref()).toBeUndefined();
    held.open();
    await expect(answer).resolves.toMatchObject({ outcome: 'delivered' });
  });

  it('validates, decides, redacts and hands one PreparedHandoff to the deliverer', async () => {
    const { svc, deliverer } = service();
    const body = cardDeclinedAbroad();
    const { outcome, answer } = await svc.submit(body, ctx);
    expect(outcome).toBe('delivered');
    expect(answer).toMatchObject({
      handoffId: body.handoffId,
      status: 'routed',
      enrichedExistingCase: false,
    });
    const prepared = deliverer.submitted[0];
    expect(prepared).toMatchObject({ handoffId: body.handoffId, receivedAt: FIXED.toISOString() });
    expect(prepared?.decision.skills.map((s) => s.developerName)).toContain('Cards');
    expect(prepared?.evaluation?.policyVersion).toBe(repoPolicy().version);
    expect(prepared?.evaluation?.evaluatedAt).toBe(FIXED.toISOString());
    expect(prepared?.handoff.operational.vip).toBe(false);
  });

  it('builds the summary from the history when the bot sends none', async () => {
    const { svc, deliverer } = service();
    const body = cardDeclinedAbroad();
    delete body.conversation?.summary;
    await svc.submit(body, ctx);
    const summary = deliverer.submitted[0]?.handoff.conversation.summary;
    expect(summary?.issue).toMatch(/declined/i);
    expect(summary?.urgency).toBe('high');
  });

  it('keeps the bot summary when it sends one', async () => {
    const { svc, deliverer } = service();
    await svc.submit(cardDeclinedAbroad(), ctx);
    expect(deliverer.submitted[0]?.handoff.conversation.summary?.issue).toBe(
      'Debit card declined at a hotel in Lisbon',
    );
  });

  it('refuses an invalid handoff with every field named, before anything is delivered', async () => {
    const { svc, deliverer } = service();
    const err = await rejection(
      svc.submit(handoff({ identity: { language: '!!', channel: 'fax' as never } }), ctx),
    );
    expect(err).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(err.errors.map((e) => e.path)).toEqual(
      expect.arrayContaining(['identity.language', 'identity.channel']),
    );
    expect(deliverer.submitted).toHaveLength(0);
  });

  it('answers pending, replay and conflict as the deliverer decides', async () => {
    const { svc } = service(neverInBudget);
    const body = cardDeclinedAbroad();
    expect((await svc.submit(body, ctx)).outcome).toBe('pending');
    expect((await svc.submit(structuredClone(body), ctx)).outcome).toBe('replay');
    const err = await rejection(svc.submit({ ...body, source: { ...body.source, botName: 'Other' } }, ctx));
    expect(err).toMatchObject({ status: 409, code: 'HANDOFF_CONFLICT' });
  });

  it('treats a body with defaults spelled out as the same body', () => {
    const body = cardDeclinedAbroad();
    const explicit = { ...body, source: { ...body.source, platform: 'generic' as const } };
    delete (body.source as { platform?: string }).platform;
    expect(bodyHash(validateHandoff(body))).toBe(bodyHash(validateHandoff(explicit)));
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
  });

  it('status: the record as an answer, 404 when unknown, 400 when impossible', async () => {
    const { svc } = service();
    const body = cardDeclinedAbroad();
    await svc.submit(body, ctx);
    expect((await svc.status(body.handoffId)).caseId).toMatch(/^500/);
    expect(await rejection(svc.status('ho-unknown-123'))).toMatchObject({
      status: 404,
      code: 'HANDOFF_NOT_FOUND',
    });
    expect(await rejection(svc.status('../etc/passwd'))).toMatchObject({ status: 400 });
  });

  it('lets a store failure through as the deliverer reports it (503, transient)', async () => {
    const { svc } = service(() =>
      Promise.reject(
        new AppError({ code: 'STORE_UNAVAILABLE', status: 503, message: 'down', transient: true }),
      ),
    );
    expect(await rejection(svc.submit(cardDeclinedAbroad(), ctx))).toMatchObject({ status: 503 });
  });
});

describe('handoff service: callers', () => {
  const A = { kind: 'jwt' as const, issuer: 'https://bots-a.example.test', subject: 'penny' };
  const B = { kind: 'jwt' as const, issuer: 'https://bots-b.example.test', subject: 'penny' };

  it('the same subject from another trusted issuer is another caller: 404 on status, 409 on replay', async () => {
    const { svc, deliverer } = service();
    const body = cardDeclinedAbroad();
    await svc.submit(body, { ...ctx, caller: A });
    expect((await svc.status(body.handoffId, { caller: A })).caseId).toBe(
      deliverer.records.get(body.handoffId)?.record.outcome?.caseId,
    );
    expect((await svc.status(body.handoffId, { caller: A })).caseId).toMatch(/^500/);
    expect((await rejection(svc.status(body.handoffId, { caller: B }))).status).toBe(404);
    const replay = await rejection(svc.submit(body, { ...ctx, caller: B }));
    expect(replay).toMatchObject({ status: 409, code: 'HANDOFF_CONFLICT' });
    expect(JSON.stringify(replay.actions)).not.toContain('/v1/handoffs/');
    expect((await svc.submit(body, { ...ctx, caller: A })).outcome).toBe('replay');
  });

  it('shared-secret adapters are callers per platform and principal', async () => {
    const { svc } = service();
    const body = handoff({ source: { platform: 'rasa' } });
    await svc.submit(body, { ...ctx, botSubject: 'shared-token' });
    const lex = await rejection(
      svc.submit(
        { ...body, source: { ...body.source, platform: 'lex_v2' } },
        {
          ...ctx,
          botSubject: 'shared-token',
        },
      ),
    );
    expect(lex.status).toBe(409);
    // No bot token reads an adapter's handoff, even with the same name as subject.
    const asJwt = { kind: 'jwt' as const, issuer: 'https://bots-a.example.test', subject: 'shared-token' };
    expect((await rejection(svc.status(body.handoffId, { caller: asJwt }))).status).toBe(404);
    expect((await svc.submit(body, { ...ctx, botSubject: 'shared-token' })).outcome).toBe('replay');
  });

  it('a bot reads what it sent through the Bot Framework adapter (which passes its subject only)', async () => {
    const { svc } = service();
    const body = handoff({ source: { platform: 'bot_framework' } });
    await svc.submit(body, { ...ctx, botSubject: 'penny' });
    expect((await svc.status(body.handoffId, { caller: A })).handoffId).toBe(body.handoffId);
    const other = { ...A, subject: 'someone-else' };
    expect((await rejection(svc.status(body.handoffId, { caller: other }))).status).toBe(404);
  });

  it('a handoff stored before callers were recorded stays readable and replayable', async () => {
    const { svc, deliverer } = service();
    const body = cardDeclinedAbroad();
    await svc.submit(body, ctx); // no caller: stored like a pre-isolation record
    const stored = deliverer.records.get(body.handoffId);
    expect(stored?.record.bodyHash).toBe(bodyHash(validateHandoff(body)));
    expect((await svc.status(body.handoffId, { caller: A })).handoffId).toBe(body.handoffId);
    expect((await svc.submit(body, { ...ctx, caller: A })).outcome).toBe('replay');
    const changed = { ...body, intent: { ...body.intent, escalation: { reason: 'other' as const } } };
    expect((await rejection(svc.submit(changed, { ...ctx, caller: A }))).status).toBe(409);
  });
});
