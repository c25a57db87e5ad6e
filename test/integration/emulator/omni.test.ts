import type { SeedInput } from '../../../src/emulator/index';
import { DATA, list, testEmulator, type TestEmulator } from './helpers';

const SEED: SeedInput = {
  users: [{ username: 'integration@fsc-handoff.emulator', lastName: 'User' }],
  skills: ['Cards', 'Fraud', 'English', 'Spanish'].map((s) => ({ developerName: s, label: s })),
  serviceChannels: [{ developerName: 'Case_Channel', label: 'Case Channel', relatedEntity: 'Case' }],
  routingConfigs: [
    { developerName: 'Handoff_Routing', label: 'Handoff Routing', routingPriority: 1, capacityWeight: 1 },
  ],
  queues: [
    {
      developerName: 'Handoff_Fraud',
      name: 'Handoff Fraud',
      routingConfig: 'Handoff_Routing',
      members: ['ben@omni.test'],
    },
  ],
  agents: [
    {
      username: 'ana@omni.test',
      lastName: 'Ana',
      capacity: 1,
      online: true,
      skills: { Cards: 5, English: 8 },
    },
    {
      username: 'ben@omni.test',
      lastName: 'Ben',
      capacity: 2,
      online: true,
      skills: { Cards: 9, Fraud: 9, English: 5 },
    },
    {
      username: 'cara@omni.test',
      lastName: 'Cara',
      capacity: 1,
      online: false,
      skills: { Cards: 9, Spanish: 10 },
    },
  ],
};

interface Setup {
  t: TestEmulator;
  advance(ms: number): void;
  ids: { channel: string; skills: Record<string, string>; users: Record<string, string>; queue: string };
}

function setup(acceptDelayMs = 30_000): Setup {
  let now = Date.parse('2026-01-05T09:00:00Z');
  const t = testEmulator({
    seed: SEED,
    now: () => now,
    omni: { acceptDelayMs, tickIntervalMs: 0, autoRoute: false },
  });
  const org = t.emu.org;
  const byDev = (sobject: string): Record<string, string> =>
    Object.fromEntries(org.list(sobject).map((r) => [String(r.DeveloperName), r.Id]));
  const users = Object.fromEntries(org.list('User').map((u) => [String(u.Username), u.Id]));
  return {
    t,
    advance: (ms) => {
      now += ms;
    },
    ids: {
      channel: byDev('ServiceChannel').Case_Channel!,
      skills: byDev('Skill'),
      users,
      queue: byDev('Group').Handoff_Fraud!,
    },
  };
}

/** The three-step sequence over REST: PSR (not ready) → SkillRequirements → PSR ready. */
async function routeCase(
  s: Setup,
  subject: string,
  skills: { skill: string; level: number; additional?: boolean }[],
  psr: Record<string, unknown> = {},
): Promise<{ caseId: string; psrId: string }> {
  const c = await s.t.post(`${DATA}/sobjects/Case`, { Subject: subject, Origin: 'Web' });
  expect(c.status).toBe(201);
  const p = await s.t.post(`${DATA}/sobjects/PendingServiceRouting`, {
    WorkItemId: c.body.id,
    ServiceChannelId: s.ids.channel,
    RoutingType: 'SkillsBased',
    RoutingModel: 'MostAvailable',
    RoutingPriority: 1,
    CapacityWeight: 1,
    IsReadyForRouting: false,
    ...psr,
  });
  expect(p.status).toBe(201);
  for (const r of skills) {
    const sr = await s.t.post(`${DATA}/sobjects/SkillRequirement`, {
      RelatedRecordId: p.body.id,
      SkillId: s.ids.skills[r.skill],
      SkillLevel: r.level,
      IsAdditionalSkill: r.additional ?? false,
    });
    expect(sr.status).toBe(201);
  }
  const ready = await s.t.patch(`${DATA}/sobjects/PendingServiceRouting/${p.body.id}`, {
    IsReadyForRouting: true,
  });
  expect(ready.status).toBe(204);
  return { caseId: c.body.id as string, psrId: p.body.id as string };
}

function work(s: Setup, caseId: string): Record<string, unknown>[] {
  return s.t.emu.org.list('AgentWork').filter((w) => w.WorkItemId === caseId);
}

describe('Omni-Channel simulation', () => {
  it('routes a ready PSR to the agent with every required skill at or above the level: Assigned, then Opened', async () => {
    const s = setup();
    const { caseId, psrId } = await routeCase(s, 'Card fraud', [
      { skill: 'Fraud', level: 8 },
      { skill: 'English', level: 5 },
    ]);
    s.t.emu.omni.settle();
    const [assigned] = work(s, caseId);
    expect(assigned).toMatchObject({
      Status: 'Assigned',
      UserId: s.ids.users['ben@omni.test'],
      WorkItemId: caseId,
      PendingServiceRoutingId: psrId,
      RoutingType: 'SkillsBased',
      RoutingPriority: 1,
      AssignedDateTime: expect.stringMatching(/^2026-01-05T09:00:00/),
    });
    // The agent has not accepted yet: the PSR is still there and the Case is not theirs.
    expect((await s.t.get(`${DATA}/sobjects/PendingServiceRouting/${psrId}`)).status).toBe(200);
    s.advance(30_000);
    s.t.emu.omni.settle();
    const [opened] = work(s, caseId);
    expect(opened).toMatchObject({
      Status: 'Opened',
      AcceptDateTime: expect.stringMatching(/^2026-01-05T09:00:30/),
    });
    expect((await s.t.get(`${DATA}/sobjects/PendingServiceRouting/${psrId}`)).status).toBe(404);
    const theCase = await s.t.get(`${DATA}/sobjects/Case/${caseId}`);
    expect(theCase.body.OwnerId).toBe(s.ids.users['ben@omni.test']);
    // AgentWork is visible over REST and SOQL.
    const q = await s.t.get(
      `${DATA}/query?q=${encodeURIComponent(`SELECT Id, Status, UserId FROM AgentWork WHERE WorkItemId = '${caseId}'`)}`,
    );
    expect(q.body.records[0]).toMatchObject({ Status: 'Opened' });
  });

  it('leaves work waiting when no agent qualifies, and routes it when an agent comes online', async () => {
    const s = setup(0);
    const { caseId } = await routeCase(s, 'Tarjeta bloqueada', [
      { skill: 'Spanish', level: 9 },
      { skill: 'Cards', level: 8 },
    ]);
    s.t.emu.omni.settle();
    expect(work(s, caseId)).toHaveLength(0);
    const presence = await s.t.raw().put('/__emulator/agents/cara@omni.test/presence').send({ online: true });
    expect(presence.status).toBe(200);
    expect(presence.body).toMatchObject({ username: 'cara@omni.test', online: true });
    const settled = await s.t.raw().post('/__emulator/omni/settle');
    expect(settled.body.actions).toBeGreaterThanOrEqual(2);
    expect(work(s, caseId)[0]).toMatchObject({ Status: 'Opened', UserId: s.ids.users['cara@omni.test'] });
  });

  it('does not route a PSR that is not ready, and honours capacity; work waits until capacity frees', async () => {
    const s = setup(0);
    const notReadyCase = await s.t.post(`${DATA}/sobjects/Case`, { Subject: 'Not ready', Origin: 'Web' });
    await s.t.post(`${DATA}/sobjects/PendingServiceRouting`, {
      WorkItemId: notReadyCase.body.id,
      ServiceChannelId: s.ids.channel,
      RoutingType: 'SkillsBased',
      RoutingModel: 'MostAvailable',
      IsReadyForRouting: false,
    });
    // Ana (capacity 1) is the only agent with English 8.
    const first = await routeCase(s, 'English one', [{ skill: 'English', level: 8 }]);
    const second = await routeCase(s, 'English two', [{ skill: 'English', level: 8 }]);
    s.t.emu.omni.settle();
    expect(work(s, notReadyCase.body.id as string)).toHaveLength(0);
    expect(work(s, first.caseId)[0]).toMatchObject({
      Status: 'Opened',
      UserId: s.ids.users['ana@omni.test'],
    });
    expect(work(s, second.caseId)).toHaveLength(0);
    const agents = await s.t.raw().get('/__emulator/agents');
    const ana = list<{ username: string; load: number; capacity: number }>(agents.body).find(
      (a) => a.username === 'ana@omni.test',
    );
    expect(ana).toMatchObject({ load: 1, capacity: 1 });
    const workId = work(s, first.caseId)[0]!.Id as string;
    const closed = await s.t.raw().post(`/__emulator/omni/work/${workId}/close`);
    expect(closed.status).toBe(200);
    s.t.emu.omni.settle();
    expect(work(s, second.caseId)[0]).toMatchObject({
      Status: 'Opened',
      UserId: s.ids.users['ana@omni.test'],
    });
  });

  it('routes lower RoutingPriority first, then the older request', async () => {
    const s = setup(30_000);
    const older = await routeCase(s, 'older, priority 5', [{ skill: 'English', level: 8 }], {
      RoutingPriority: 5,
    });
    s.advance(1000);
    const urgent = await routeCase(s, 'newer, priority 1', [{ skill: 'English', level: 8 }], {
      RoutingPriority: 1,
    });
    s.advance(1000);
    const sameOld = await routeCase(s, 'newest, priority 5', [{ skill: 'English', level: 8 }], {
      RoutingPriority: 5,
      CustomRequestedDateTime: '2026-01-05T08:00:00.000+0000',
    });
    s.t.emu.omni.settle();
    expect(work(s, urgent.caseId)[0]).toMatchObject({ Status: 'Assigned' });
    expect(work(s, older.caseId)).toHaveLength(0);
    expect(work(s, sameOld.caseId)).toHaveLength(0);
    s.advance(30_000);
    s.t.emu.omni.settle();
    await s.t.raw().post(`/__emulator/omni/work/${String(work(s, urgent.caseId)[0]!.Id)}/close`);
    s.t.emu.omni.settle();
    // CustomRequestedDateTime makes the third request older than the first.
    expect(work(s, sameOld.caseId)[0]).toMatchObject({ Status: 'Assigned' });
    expect(work(s, older.caseId)).toHaveLength(0);
  });

  it('drops additional skills after DropAdditionalSkillsTimeout when no agent matches', async () => {
    const s = setup(0);
    const { caseId } = await routeCase(
      s,
      'Card issue, Spanish preferred',
      [
        { skill: 'Cards', level: 8 },
        { skill: 'Spanish', level: 5, additional: true },
      ],
      { DropAdditionalSkillsTimeout: 60 },
    );
    s.t.emu.omni.settle();
    expect(work(s, caseId)).toHaveLength(0); // only offline Cara has Spanish
    s.advance(59_000);
    s.t.emu.omni.settle();
    expect(work(s, caseId)).toHaveLength(0);
    s.advance(2_000);
    s.t.emu.omni.settle();
    expect(work(s, caseId)[0]).toMatchObject({ UserId: s.ids.users['ben@omni.test'] });
  });

  it('creates a QueueBased PSR when a Case is owned by an Omni queue and routes it to a member', async () => {
    const s = setup(0);
    const c = await s.t.post(`${DATA}/sobjects/Case`, {
      Subject: 'Queue me',
      Origin: 'Web',
      OwnerId: s.ids.queue,
    });
    expect(c.status).toBe(201);
    s.t.emu.omni.tick();
    const psr = s.t.emu.org.list('PendingServiceRouting').find((p) => p.WorkItemId === c.body.id);
    expect(psr).toMatchObject({ RoutingType: 'QueueBased', IsReadyForRouting: true });
    s.t.emu.omni.settle();
    expect(work(s, c.body.id as string)[0]).toMatchObject({
      Status: 'Opened',
      UserId: s.ids.users['ben@omni.test'],
      RoutingType: 'QueueBased',
    });
    expect((await s.t.get(`${DATA}/sobjects/Case/${c.body.id}`)).body.OwnerId).toBe(
      s.ids.users['ben@omni.test'],
    );
  });

  it('routes on its own with timers (autoRoute) and stops cleanly', async () => {
    const t = testEmulator({ seed: SEED, omni: { acceptDelayMs: 0, tickIntervalMs: 50, autoRoute: true } });
    const s: Setup = {
      t,
      advance: () => undefined,
      ids: {
        channel: t.emu.org.list('ServiceChannel')[0]!.Id,
        skills: Object.fromEntries(t.emu.org.list('Skill').map((r) => [String(r.DeveloperName), r.Id])),
        users: Object.fromEntries(t.emu.org.list('User').map((u) => [String(u.Username), u.Id])),
        queue: '',
      },
    };
    const { caseId, psrId } = await routeCase(s, 'Automatic', [{ skill: 'Fraud', level: 1 }]);
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && work(s, caseId)[0]?.Status !== 'Opened') {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(work(s, caseId)[0]).toMatchObject({ Status: 'Opened' });
    expect(t.emu.org.list('PendingServiceRouting').some((p) => p.Id === psrId)).toBe(false);
    await t.emu.stop();
  });

  it('runs the service-shaped graph: PSR, chained SkillRequirements, then ready', async () => {
    const s = setup(0);
    const fraud = s.ids.skills.Fraud!;
    const english = s.ids.skills.English!;
    const res = await s.t.post(`${DATA}/composite/graph`, {
      graphs: [
        {
          graphId: 'h1',
          compositeRequest: [
            {
              method: 'PATCH',
              url: `${DATA}/sobjects/Case/Handoff_Id__c/omni-graph-1`,
              referenceId: 'case',
              body: { Subject: 'Graph routed', Origin: 'Web' },
            },
            {
              method: 'POST',
              url: `${DATA}/sobjects/PendingServiceRouting`,
              referenceId: 'psr',
              body: {
                WorkItemId: '@{case.id}',
                ServiceChannelId: s.ids.channel,
                RoutingType: 'SkillsBased',
                RoutingModel: 'MostAvailable',
                RoutingPriority: 1,
                CapacityWeight: 1,
                IsReadyForRouting: false,
              },
            },
            {
              method: 'POST',
              url: `${DATA}/sobjects/SkillRequirement`,
              referenceId: 'sr1',
              body: { RelatedRecordId: '@{psr.id}', SkillId: fraud, SkillLevel: 5 },
            },
            { method: 'GET', url: `${DATA}/sobjects/SkillRequirement/@{sr1.id}`, referenceId: 'sr1get' },
            {
              method: 'POST',
              url: `${DATA}/sobjects/SkillRequirement`,
              referenceId: 'sr2',
              body: { RelatedRecordId: '@{sr1get.RelatedRecordId}', SkillId: english, SkillLevel: 3 },
            },
            { method: 'GET', url: `${DATA}/sobjects/SkillRequirement/@{sr2.id}`, referenceId: 'sr2get' },
            {
              method: 'PATCH',
              url: `${DATA}/sobjects/PendingServiceRouting/@{sr2get.RelatedRecordId}`,
              referenceId: 'ready',
              body: { IsReadyForRouting: true },
            },
          ],
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.graphs[0].isSuccessful).toBe(true);
    const caseId = res.body.graphs[0].graphResponse.compositeResponse[0].body.id as string;
    s.t.emu.omni.settle();
    expect(work(s, caseId)[0]).toMatchObject({ Status: 'Opened', UserId: s.ids.users['ben@omni.test'] });
  });
});
