import request from 'supertest';
import { botToken, makeApp } from './app';

describe('POST /v1/escalations/evaluate', () => {
  it('says whether to hand off, every rule that fired and why, and the recommended routing', async () => {
    const { app } = makeApp();
    const res = await request(app)
      .post('/v1/escalations/evaluate')
      .set('Authorization', `Bearer ${await botToken()}`)
      .send({
        language: 'de-DE',
        intents: [{ name: 'report_fraud', confidence: 0.91 }],
        customerMessages: [{ text: 'Ich möchte mit einem Menschen sprechen' }],
      });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      handoff: true,
      policyVersion: '2026-11-21.1',
      evaluatedAt: '2026-11-21T10:15:00.000Z',
    });
    expect((res.body as { fired: { rule: string }[] }).fired.map((f) => f.rule)).toEqual([
      'asks-for-a-person',
      'regulated-intent',
    ]);
    expect(res.body.fired[1].reason).toBe('regulated subject needs a person: fraud (intent "report_fraud")');
    expect(res.body.recommendation).toMatchObject({
      mode: 'skills_based',
      skills: [
        { developerName: 'Fraud', level: 6, additional: false },
        { developerName: 'German', level: 5, additional: false },
      ],
      priority: 1,
      urgency: 'critical',
    });
  });

  it('answers that the bot can carry on when nothing fires', async () => {
    const { app } = makeApp();
    const res = await request(app)
      .post('/v1/escalations/evaluate')
      .set('Authorization', `Bearer ${await botToken()}`)
      .send({ intents: [{ name: 'account.balance', confidence: 0.9 }] });
    expect(res.body).toMatchObject({ handoff: false, fired: [] });
  });

  it('names every invalid field of the state with a 400', async () => {
    const { app } = makeApp();
    const res = await request(app)
      .post('/v1/escalations/evaluate')
      .set('Authorization', `Bearer ${await botToken()}`)
      .send({ intents: [{ name: 'x', confidence: 2 }], transfers: -1, mood: 'grumpy' });
    expect(res.status).toBe(400);
    expect((res.body as { errors: { path: string }[] }).errors.map((e) => e.path).sort()).toEqual([
      '',
      'intents.0.confidence',
      'transfers',
    ]);
  });

  it('requires the bot token', async () => {
    const { app } = makeApp();
    const res = await request(app).post('/v1/escalations/evaluate').send({});
    expect(res.status).toBe(401);
  });
});
