import { createEmulator, type Emulator, type SeedInput } from '../../../../src/emulator/index';
import type { OmniSimulator } from '../../../../src/emulator/omni/omni';
import type { Org } from '../../../../src/emulator/org/org';
import { createRng } from '../../../../src/emulator/http/util';

/**
 * The incremental routing pass against the full one: two emulators, one routing every pass over every
 * waiting PSR ('full', nothing remembered), one with the default incremental routing, driven by the
 * same seeded sequence of writes, presence toggles, closed work, clock moves, unheard changes
 * (restore, writes while stopped). After every step both must hold the same AgentWork and PSRs.
 */

const SKILLS = ['Cards', 'Fraud', 'English', 'Spanish'];

const SEED: SeedInput = {
  users: [{ username: 'diff@fsc-handoff.emulator', lastName: 'User' }],
  skills: SKILLS.map((s) => ({ developerName: s, label: s })),
  serviceChannels: [{ developerName: 'Case_Channel', label: 'Case Channel', relatedEntity: 'Case' }],
  routingConfigs: [
    { developerName: 'Handoff_Routing', label: 'Handoff Routing', routingPriority: 2, capacityWeight: 1 },
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
    // Room nearly always, few skills: waiting PSRs become his when their requirements drop or change.
    { username: 'dan@omni.test', lastName: 'Dan', capacity: 50, online: true, skills: { Spanish: 3 } },
  ],
};

interface Side {
  emu: Emulator;
  omni: OmniSimulator;
}

function side(clock: () => number, routing: 'incremental' | 'full', danCapacity: number): Side {
  const emu = createEmulator({
    seed: {
      ...SEED,
      agents: SEED.agents?.map((a) => (a.username === 'dan@omni.test' ? { ...a, capacity: danCapacity } : a)),
    },
    now: clock,
    randomSeed: 1,
    omni: { acceptDelayMs: 5_000, autoCloseMs: 600_000, tickIntervalMs: 0, autoRoute: false, routing },
  });
  emu.omni.start();
  return { emu, omni: emu.omni };
}

function state(s: Side): unknown {
  const org = s.emu.org;
  return {
    work: org.list('AgentWork'),
    psrs: org.list('PendingServiceRouting'),
    cases: org.list('Case').map((c) => [c.Id, c.OwnerId]),
    agents: s.omni.agents(),
  };
}

/** Runs one seeded scenario; returns how many passes the incremental side ran while tracking. */
function differential(seed: number, steps: number, danCapacity: number): number {
  let now = Date.parse('2026-01-05T09:00:00Z');
  const clock = (): number => now;
  const full = side(clock, 'full', danCapacity);
  const inc = side(clock, 'incremental', danCapacity);
  const sides = [full, inc];
  const random = createRng(seed);
  const pick = <T>(xs: readonly T[]): T | undefined =>
    xs.length === 0 ? undefined : xs[Math.floor(random() * xs.length)];
  const org0 = full.emu.org;
  const byDev = (sobject: string): Record<string, string> =>
    Object.fromEntries(org0.list(sobject).map((r) => [String(r.DeveloperName), r.Id]));
  const skills = byDev('Skill');
  const channel = byDev('ServiceChannel').Case_Channel as string;
  const queue = byDev('Group').Handoff_Fraud as string;
  const users = org0.list('User').map((u) => u.Id);
  const agents = ['ana@omni.test', 'ben@omni.test', 'cara@omni.test', 'dan@omni.test'];
  let tracked = 0;

  // Every action is applied to both sides with the same arguments (ids are generated identically);
  // one the org refuses must be refused on both sides alike.
  const both = (fn: (s: Side) => void): void => {
    const outcomes = sides.map((s) => {
      try {
        fn(s);
        return 'ok';
      } catch (e) {
        return e instanceof Error ? e.message : String(e);
      }
    });
    expect(outcomes[1]).toBe(outcomes[0]);
  };
  // The platform may change a PSR that is ready (the simulator must hear it like any write).
  const system = (s: Side): Org => s.emu.org as Org;

  const saved = new Map<Side, unknown>();
  for (let step = 0; step < steps; step++) {
    if (random() < 0.02) both((s) => saved.set(s, s.emu.org.snapshot()));
    const r = random();
    const psrIds = org0.list('PendingServiceRouting').map((p) => p.Id);
    if (r < 0.3) {
      // A skills-based (sometimes queue-based) handoff: PSR not ready, requirements, then ready.
      const reqs = Array.from({ length: Math.floor(random() * 3) }, () => ({
        skill: skills[pick(SKILLS) as string] as string,
        level: 1 + Math.floor(random() * 10),
        additional: random() < 0.4,
      }));
      const queued = random() < 0.15;
      const fields: Record<string, unknown> = {
        ServiceChannelId: channel,
        RoutingType: queued ? 'QueueBased' : 'SkillsBased',
        RoutingModel: random() < 0.5 ? 'MostAvailable' : 'LeastActive',
        RoutingPriority: 1 + Math.floor(random() * 3),
        CapacityWeight: random() < 0.8 ? 1 : 2,
        IsReadyForRouting: false,
        ...(queued ? { GroupId: queue } : {}),
        ...(random() < 0.4 ? { DropAdditionalSkillsTimeout: 1 + Math.floor(random() * 30) } : {}),
        ...(random() < 0.1 ? { PreferredUserId: pick(users), IsPreferredUserRequired: random() < 0.5 } : {}),
      };
      both((s) => {
        const caseId = s.emu.org.create('Case', { Subject: `h${step}`, Origin: 'Web' }).id;
        const psrId = s.emu.org.create('PendingServiceRouting', { WorkItemId: caseId, ...fields }).id;
        for (const q of reqs) {
          s.emu.org.create('SkillRequirement', {
            RelatedRecordId: psrId,
            SkillId: q.skill,
            SkillLevel: q.level,
            IsAdditionalSkill: q.additional,
          });
        }
        s.emu.org.update('PendingServiceRouting', psrId, { IsReadyForRouting: true });
      });
    } else if (r < 0.36) {
      // A Case sent to the Omni queue: the simulator creates a queue-based PSR.
      both((s) => {
        const caseId = s.emu.org.create('Case', { Subject: `q${step}`, Origin: 'Web' }).id;
        s.emu.org.update('Case', caseId, { OwnerId: queue });
      });
    } else if (r < 0.44) {
      const id = pick(psrIds);
      const x = random();
      const fields =
        x < 0.3
          ? { RoutingPriority: 1 + Math.floor(random() * 3) }
          : x < 0.6
            ? { CapacityWeight: random() < 0.7 ? 1 : 2 }
            : x < 0.8
              ? { IsReadyForRouting: true }
              : { RoutingType: 'SkillsBased', GroupId: null };
      if (id) both((s) => system(s).systemUpdate('PendingServiceRouting', id, fields));
    } else if (r < 0.47) {
      // A requirement added to or removed from a waiting PSR.
      const id = pick(psrIds);
      const existing = org0.list('SkillRequirement').filter((q) => q.RelatedRecordId === id);
      const gone = random() < 0.5 ? pick(existing) : undefined;
      const skill = skills[pick(SKILLS) as string] as string;
      const level = 1 + Math.floor(random() * 10);
      const random2 = random();
      // Taken off routing first (as the platform may), then changed, then ready again.
      if (id) {
        both((s) => {
          system(s).systemUpdate('PendingServiceRouting', id, { IsReadyForRouting: false });
          if (gone) s.emu.org.delete('SkillRequirement', gone.Id);
          else
            s.emu.org.create('SkillRequirement', { RelatedRecordId: id, SkillId: skill, SkillLevel: level });
          if (random2 < 0.8) system(s).systemUpdate('PendingServiceRouting', id, { IsReadyForRouting: true });
        });
      }
    } else if (r < 0.5) {
      // The platform changes a requirement of a ready PSR in place (no PSR write).
      const q = pick(org0.list('SkillRequirement'));
      const fields =
        random() < 0.5 ? { SkillId: skills.Spanish, SkillLevel: 1 } : { IsAdditionalSkill: random() < 0.5 };
      if (q) both((s) => system(s).systemUpdate('SkillRequirement', q.Id, fields));
    } else if (r < 0.52) {
      const agent = pick(agents) as string;
      const online = random() < 0.5;
      both((s) => s.omni.setPresence(agent, online));
    } else if (r < 0.54) {
      const active = org0
        .list('AgentWork')
        .filter((w) => w.Status === 'Assigned' || w.Status === 'Opened')
        .map((w) => w.Id);
      const id = pick(active);
      if (id) both((s) => s.omni.closeWork(id));
    } else if (r < 0.55) {
      // Records replaced without change events: back to an earlier state, or a copy of this one.
      const back = random() < 0.7;
      both((s) => {
        const earlier = saved.get(s);
        s.emu.org.restore(back && earlier ? earlier : s.emu.org.snapshot());
      });
    } else if (r < 0.56) {
      // Writes the simulator does not hear.
      const id = pick(psrIds);
      const q = pick(org0.list('SkillRequirement'));
      both((s) => {
        s.omni.stop();
        if (id) system(s).systemUpdate('PendingServiceRouting', id, { CapacityWeight: 1 });
        if (q) system(s).systemUpdate('SkillRequirement', q.Id, { SkillId: skills.Spanish, SkillLevel: 1 });
        s.omni.start();
      });
    } else if (r < 0.57) {
      const id = pick(psrIds);
      if (id) both((s) => s.emu.org.delete('PendingServiceRouting', id));
    } else {
      now += Math.floor(random() * (random() < 0.2 ? 20_000 : 1_000));
    }
    const settle = random() < 0.5;
    both((s) => (settle ? s.omni.settle() : s.omni.tick()));
    if ((inc.omni as unknown as { tracking?: unknown }).tracking !== undefined) tracked++;
    expect(state(inc)).toEqual(state(full));
  }
  return tracked;
}

describe('OmniSimulator incremental routing', () => {
  // Dan's capacity 50: someone nearly always has room. 3: every agent is often full.
  it.each([
    [1, 50],
    [2, 50],
    [3, 50],
    [4, 50],
    [5, 50],
    [6, 50],
    [7, 3],
    [8, 3],
    [9, 3],
  ])(
    'routes exactly as the full pass (seed %i, capacity %i)',
    (seed, danCapacity) => {
      const tracked = differential(seed, 400, danCapacity);
      expect(tracked).toBeGreaterThan(0);
    },
    30_000,
  );
});
