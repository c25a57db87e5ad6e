import type { OrgApi, RecordChange, SObjectRecord } from '../org/types';

/** An agent as the simulator sees them: capacity and presence (skills come from the org's records). */
export interface AgentConfig {
  userId: string;
  username: string;
  /** Units of work the agent can hold at once (AgentWork CapacityWeight summed). */
  capacity: number;
  online: boolean;
}

export interface AgentView extends AgentConfig {
  /** Capacity in use by Assigned and Opened work. */
  load: number;
  activeWork: string[];
}

export interface OmniOptions {
  /** Delay before an Assigned AgentWork becomes Opened (the agent accepts). 0 accepts on the next step. */
  acceptDelayMs?: number;
  /** Close Opened work automatically after this many ms (frees capacity); undefined keeps it open. */
  autoCloseMs?: number;
  /** Re-evaluation timer for waiting work (and additional-skill drop timeouts); 0 turns it off. */
  tickIntervalMs?: number;
  /** Route as soon as a change commits (on a 0 ms timer). False: only tick()/settle() route. */
  autoRoute?: boolean;
  now?: () => number;
  onError?: (err: unknown) => void;
  /**
   * How a routing pass finds the waiting PSRs an agent could take. 'incremental' (default): only those
   * whose PSR or SkillRequirements changed, whose additional-skill drop time passed, or all of them
   * when anything on the agents' side changed or a change went unheard. 'full': every waiting PSR,
   * every pass, nothing remembered (the reference the incremental passes are checked against).
   */
  routing?: 'incremental' | 'full';
}

const ACTIVE = new Set(['Assigned', 'Opened']);

/** What one routing pass reads besides the PSRs. */
interface RoutingPass {
  now: number;
  /** Agent user id → capacity in use. */
  load: Map<string, number>;
  skills: Map<string, Map<string, number>>;
  /** PSR id → its SkillRequirements. */
  requirements: Map<unknown, Readonly<SObjectRecord>[]>;
  members: readonly Readonly<SObjectRecord>[];
}

/** A PSR a pass found no agent for, with what that depended on. */
interface StuckVerdict {
  psr: Readonly<SObjectRecord>;
  reqs: readonly Readonly<SObjectRecord>[];
  queue: string | undefined;
  drop: { requestedAt: number; dropAfter: number; dropped: boolean } | undefined;
}

/**
 * What the simulator knows, from the change events it heard since a pass that assigned nothing, about
 * the waiting PSRs: every ready PSR that no active AgentWork holds has no agent under `world`, except
 * those in `dirty` (changed since), `volatile` (request time not from the record: evaluated every pass)
 * and those whose additional-skill drop time (`drops`) has come. Valid while no change other than to
 * Cases, PSRs and SkillRequirements was heard, no agent changed, and the org replaced no records
 * without change events (`revision`).
 */
interface Tracking {
  revision: number;
  world: string;
  /** The pass's loads and PSRs held by active work (AgentWork changes end the tracking). */
  load: Map<string, number>;
  taken: Set<unknown>;
  /** PSR id → the live record, for the PSRs ready for routing. */
  ready: Map<string, Readonly<SObjectRecord>>;
  /** RelatedRecordId → SkillRequirement id → record. */
  reqs: Map<unknown, Map<string, Readonly<SObjectRecord>>>;
  dirty: Set<string>;
  volatile: Set<string>;
  drops: DropHeap;
  /** The clock at the last pass (a clock going back ends the tracking). */
  now: number;
}

/** A min-heap of (time, PSR id): when a waiting PSR's additional skills drop. */
type DropHeap = { at: number; id: string }[];

function heapPush(h: DropHeap, at: number, id: string): void {
  h.push({ at, id });
  let i = h.length - 1;
  while (i > 0) {
    const up = (i - 1) >> 1;
    const parent = h[up] as DropHeap[number];
    if (parent.at <= at) break;
    h[i] = parent;
    i = up;
  }
  h[i] = { at, id };
}

function heapPop(h: DropHeap): DropHeap[number] | undefined {
  const top = h[0];
  const last = h.pop();
  if (top === undefined || last === undefined || h.length === 0) return top;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= h.length) break;
    const r = l + 1;
    const c = r < h.length && (h[r] as DropHeap[number]).at < (h[l] as DropHeap[number]).at ? r : l;
    const child = h[c] as DropHeap[number];
    if (child.at >= last.at) break;
    h[i] = child;
    i = c;
  }
  h[i] = last;
  return top;
}

/** Objects whose changes can change a routing decision. */
const ROUTING_OBJECTS = new Set([
  'Case',
  'PendingServiceRouting',
  'SkillRequirement',
  'AgentWork',
  'ServiceResource',
  'ServiceResourceSkill',
  'GroupMember',
  'Group',
]);

/** Writes as the platform (read-only fields allowed), when the org offers them. */
export interface SystemWrites {
  systemCreate(sobject: string, fields: Record<string, unknown>): { id: string };
  systemUpdate(sobject: string, id: string, fields: Record<string, unknown>): void;
}

/** A copy-free, read-only view of an object's live records in no particular order (the org's Org offers it). */
export interface RecordViews {
  peekRecords(sobject: string): readonly Readonly<SObjectRecord>[];
}

/** Counts record replacements the org makes without change events (reset, restore). */
export interface UnheardChanges {
  unheardRevision(): number;
}

export type OmniOrg = OrgApi & Partial<SystemWrites> & Partial<RecordViews> & Partial<UnheardChanges>;

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** Parsed datetimes by text: each routing pass reads every waiting PSR's dates, mostly the same few seconds. */
const parsedTimes = new Map<string, number | undefined>();
const PARSED_TIMES_MAX = 10_000;

function time(v: unknown): number | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  if (parsedTimes.has(v)) return parsedTimes.get(v);
  const t = Date.parse(v.replace(/\+0000$/, 'Z'));
  const out = Number.isNaN(t) ? undefined : t;
  if (parsedTimes.size >= PARSED_TIMES_MAX) parsedTimes.clear();
  parsedTimes.set(v, out);
  return out;
}

function num(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

/**
 * Omni-Channel, simulated: routes ready PendingServiceRouting records to agents with the required
 * skills (or to an Omni queue's members), creates AgentWork (Assigned, then Opened), deletes the PSR
 * and hands the work item to the agent. Driven by org change events, a timer, and tick()/settle().
 */
export class OmniSimulator {
  private readonly agentsById = new Map<string, AgentConfig>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private interval: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly psrQueue = new Map<string, string>();
  private readonly readyAt = new Map<string, number>();
  private readonly assignedAt = new Map<string, number>();
  private readonly openedAt = new Map<string, number>();
  private readonly lastAssigned = new Map<string, number>();
  /** PSR id → why routing found no agent for it (see knownStuck), valid while the world is `stuckWorld`. */
  private readonly stuck = new Map<string, StuckVerdict>();
  private stuckWorld = '';
  private tracking: Tracking | undefined;
  private pendingChanges: RecordChange[] = [];
  private running = false;
  private immediateScheduled = false;
  private stopped = true;
  private seq = 0;
  readonly errors: string[] = [];
  readonly options: Required<Omit<OmniOptions, 'autoCloseMs' | 'onError'>> &
    Pick<OmniOptions, 'autoCloseMs' | 'onError'>;

  constructor(
    private readonly org: OmniOrg,
    options: OmniOptions = {},
  ) {
    this.options = {
      acceptDelayMs: options.acceptDelayMs ?? 2000,
      tickIntervalMs: options.tickIntervalMs ?? 1000,
      autoRoute: options.autoRoute ?? true,
      routing: options.routing ?? 'incremental',
      now: options.now ?? Date.now,
      autoCloseMs: options.autoCloseMs,
      onError: options.onError,
    };
  }

  private sysCreate(sobject: string, fields: Record<string, unknown>): string {
    if (this.org.systemCreate) return this.org.systemCreate(sobject, fields).id;
    return this.org.create(sobject, fields, { autoAssign: false }).id;
  }

  private sysUpdate(sobject: string, id: string, fields: Record<string, unknown>): void {
    if (this.org.systemUpdate) this.org.systemUpdate(sobject, id, fields);
    else this.org.update(sobject, id, fields, { autoAssign: false });
  }

  /**
   * An object's records for reads whose result does not depend on their order (lookups by id, sums,
   * sets, lists sorted afterwards): the org's live records without a copy when it offers them, since
   * every routing pass reads whole tables (PSRs and SkillRequirements grow with every handoff).
   * Reads whose outcome follows the order of `list()` keep using `list()`.
   */
  private records(sobject: string): readonly Readonly<SObjectRecord>[] {
    return this.org.peekRecords ? this.org.peekRecords(sobject) : this.org.list(sobject);
  }

  /** Starts listening to org changes (and the timer). Idempotent. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    // Changes made while stopped were not heard: nothing remembered about PSRs is trusted.
    this.stuck.clear();
    this.tracking = undefined;
    // Only routing objects matter: the org need not copy other changes for the simulator.
    // It reads changes and never modifies them: no copy needed either.
    this.unsubscribe = this.org.onChange((c) => this.onChange(c), {
      sobjects: ROUTING_OBJECTS,
      readOnly: true,
    });
    if (this.options.tickIntervalMs > 0) {
      this.interval = setInterval(() => this.safeTick(), this.options.tickIntervalMs);
      this.interval.unref();
    }
  }

  /** Stops every timer and the change subscription. */
  stop(): void {
    this.stopped = true;
    this.tracking = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.interval) clearInterval(this.interval);
    this.interval = undefined;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.immediateScheduled = false;
  }

  /** Forgets routing state (the org's records are reset separately). */
  reset(): void {
    this.stuck.clear();
    this.tracking = undefined;
    this.agentsById.clear();
    this.psrQueue.clear();
    this.readyAt.clear();
    this.assignedAt.clear();
    this.openedAt.clear();
    this.lastAssigned.clear();
    this.pendingChanges = [];
    this.errors.length = 0;
  }

  registerAgent(agent: AgentConfig): void {
    this.agentsById.set(agent.userId, { ...agent });
    this.tracking = undefined;
    this.schedule(0);
  }

  private findAgent(idOrUsername: string): AgentConfig | undefined {
    const byId = this.agentsById.get(idOrUsername);
    if (byId) return byId;
    const u = idOrUsername.toLowerCase();
    return [...this.agentsById.values()].find((a) => a.username.toLowerCase() === u);
  }

  /** Sets an agent online/offline; returns false for an unknown agent. Waiting work is re-evaluated. */
  setPresence(idOrUsername: string, online: boolean): boolean {
    const a = this.findAgent(idOrUsername);
    if (!a) return false;
    a.online = online;
    this.tracking = undefined;
    this.schedule(0);
    return true;
  }

  agents(): AgentView[] {
    const work = this.activeWork();
    return [...this.agentsById.values()].map((a) => {
      const mine = work.filter((w) => w.UserId === a.userId);
      return {
        ...a,
        load: mine.reduce((s, w) => s + num(w.CapacityWeight, 1), 0),
        activeWork: mine.map((w) => w.Id),
      };
    });
  }

  /** Closes an AgentWork (the agent finishes), freeing capacity. */
  closeWork(agentWorkId: string): boolean {
    const w = this.records('AgentWork').find((r) => r.Id === agentWorkId);
    if (!w || !ACTIVE.has(String(w.Status))) return false;
    this.sysUpdate('AgentWork', agentWorkId, { Status: 'Closed', CloseDateTime: iso(this.options.now()) });
    this.assignedAt.delete(agentWorkId);
    this.openedAt.delete(agentWorkId);
    this.schedule(0);
    return true;
  }

  /** One routing pass; returns how many actions it took. */
  tick(): number {
    if (this.running) return 0;
    this.running = true;
    try {
      let actions = this.processChanges();
      actions += this.acceptDue();
      actions += this.closeDue();
      actions += this.route();
      return actions;
    } finally {
      this.running = false;
    }
  }

  /** Runs passes until nothing is left to do now (bounded). Returns the number of actions. */
  settle(maxPasses = 1000): number {
    let total = 0;
    for (let i = 0; i < maxPasses; i++) {
      const n = this.tick();
      total += n;
      if (n === 0) break;
    }
    return total;
  }

  private safeTick(): void {
    try {
      this.tick();
    } catch (e) {
      this.report(e);
    }
  }

  private report(e: unknown): void {
    const msg = e instanceof Error ? e.message : String(e);
    this.errors.push(msg);
    if (this.errors.length > 100) this.errors.shift();
    this.options.onError?.(e);
  }

  private schedule(ms: number): void {
    if (this.stopped || !this.options.autoRoute) {
      if (ms === 0) this.immediateScheduled = false;
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (ms === 0) this.immediateScheduled = false;
      this.safeTick();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private onChange(change: RecordChange): void {
    if (!ROUTING_OBJECTS.has(change.sobject)) return;
    if (this.tracking) this.track(this.tracking, change);
    this.pendingChanges.push(change);
    // One pass handles every change that arrived before it: coalesce the immediate ticks.
    if (this.immediateScheduled) return;
    this.immediateScheduled = true;
    this.schedule(0);
  }

  /** Keeps the tracking in step with a heard change, or ends it when the change is on the agents' side. */
  private track(t: Tracking, c: RecordChange): void {
    if (c.sobject === 'PendingServiceRouting') {
      if (c.after?.IsReadyForRouting === true) t.ready.set(c.id, c.after);
      else t.ready.delete(c.id);
      if (c.kind === 'deleted') {
        t.dirty.delete(c.id);
        t.volatile.delete(c.id);
      } else {
        t.dirty.add(c.id);
      }
    } else if (c.sobject === 'SkillRequirement') {
      if (c.before) {
        const from = c.before.RelatedRecordId;
        t.reqs.get(from)?.delete(c.id);
        if (typeof from === 'string') t.dirty.add(from);
      }
      if (c.after) {
        const to = c.after.RelatedRecordId;
        let bucket = t.reqs.get(to);
        if (!bucket) {
          bucket = new Map();
          t.reqs.set(to, bucket);
        }
        bucket.set(c.id, c.after);
        if (typeof to === 'string') t.dirty.add(to);
      }
    } else if (c.sobject !== 'Case') {
      // Work, agents' skills, queues: loads, capacity or candidates may differ for every PSR.
      this.tracking = undefined;
    }
  }

  private processChanges(): number {
    const changes = this.pendingChanges;
    this.pendingChanges = [];
    let actions = 0;
    for (const c of changes) {
      try {
        if (c.sobject === 'Case' && c.after) {
          const owner = c.after.OwnerId;
          const before = c.before?.OwnerId;
          if (typeof owner === 'string' && owner !== before && owner.startsWith('00G')) {
            if (this.queueBasedPsr(c.after, owner)) actions++;
          }
        } else if (c.sobject === 'PendingServiceRouting') {
          if (c.kind === 'deleted') {
            this.stuck.delete(c.id);
            this.readyAt.delete(c.id);
            this.psrQueue.delete(c.id);
          } else if (c.after?.IsReadyForRouting === true && !this.readyAt.has(c.id)) {
            this.readyAt.set(c.id, this.options.now());
          }
        } else if (c.sobject === 'AgentWork' && c.kind !== 'created') {
          actions += 0; // capacity may have changed: route() re-evaluates below.
        }
      } catch (e) {
        this.report(e);
      }
    }
    return actions;
  }

  /** A Case owned by an Omni queue gets a system-created PSR (QueueBased). */
  private queueBasedPsr(caseRecord: SObjectRecord, queueId: string): boolean {
    const group = this.records('Group').find((g) => g.Id === queueId);
    if (!group || group.Type !== 'Queue' || typeof group.QueueRoutingConfigId !== 'string') return false;
    const config = this.records('QueueRoutingConfig').find((r) => r.Id === group.QueueRoutingConfigId);
    const existing = this.records('PendingServiceRouting').some((p) => p.WorkItemId === caseRecord.Id);
    if (existing) return false;
    const channel = this.org
      .list('ServiceChannel')
      .find((s) => typeof s.RelatedEntity === 'string' && s.RelatedEntity.toLowerCase() === 'case');
    if (!channel) throw new Error('Omni: no service channel for Case');
    const id = this.sysCreate('PendingServiceRouting', {
      WorkItemId: caseRecord.Id,
      ServiceChannelId: channel.Id,
      RoutingType: 'QueueBased',
      RoutingModel: typeof config?.RoutingModel === 'string' ? config.RoutingModel : 'MostAvailable',
      RoutingPriority: num(config?.RoutingPriority, 1),
      CapacityWeight: num(config?.CapacityWeight, 1),
      IsReadyForRouting: true,
      GroupId: queueId,
      QueueId: queueId,
    });
    this.psrQueue.set(id, queueId);
    this.readyAt.set(id, this.options.now());
    return true;
  }

  private activeWork(): SObjectRecord[] {
    return this.org.list('AgentWork').filter((w) => ACTIVE.has(String(w.Status)));
  }

  private acceptDue(): number {
    const now = this.options.now();
    let actions = 0;
    for (const w of this.org.list('AgentWork')) {
      if (w.Status !== 'Assigned') continue;
      const at = this.assignedAt.get(w.Id) ?? time(w.AssignedDateTime) ?? now;
      if (now - at < this.options.acceptDelayMs) continue;
      try {
        this.accept(w);
        actions++;
      } catch (e) {
        this.report(e);
        this.assignedAt.set(w.Id, now + 60_000);
      }
    }
    return actions;
  }

  private accept(w: SObjectRecord): void {
    const now = this.options.now();
    this.org.transaction(() => {
      this.sysUpdate('AgentWork', w.Id, { Status: 'Opened', AcceptDateTime: iso(now) });
      const psrId = w.PendingServiceRoutingId;
      if (typeof psrId === 'string' && this.records('PendingServiceRouting').some((p) => p.Id === psrId)) {
        this.org.delete('PendingServiceRouting', psrId);
      }
      const item = w.WorkItemId;
      if (typeof item === 'string' && item.startsWith('500') && typeof w.UserId === 'string') {
        this.sysUpdate('Case', item, { OwnerId: w.UserId });
      }
    });
    this.assignedAt.delete(w.Id);
    this.openedAt.set(w.Id, now);
    if (this.options.autoCloseMs !== undefined) this.schedule(this.options.autoCloseMs);
  }

  private closeDue(): number {
    const close = this.options.autoCloseMs;
    if (close === undefined) return 0;
    const now = this.options.now();
    let actions = 0;
    for (const [id, at] of [...this.openedAt]) {
      if (now - at >= close) {
        this.openedAt.delete(id);
        try {
          if (this.closeWork(id)) actions++;
        } catch (e) {
          this.report(e);
        }
      }
    }
    return actions;
  }

  /** Agent user id → {SkillId → level}, from ServiceResource + ServiceResourceSkill. */
  private agentSkills(now: number): Map<string, Map<string, number>> {
    const resources = new Map<string, string>();
    for (const r of this.records('ServiceResource')) {
      if (typeof r.RelatedRecordId === 'string' && r.IsActive !== false)
        resources.set(r.Id, r.RelatedRecordId);
    }
    const out = new Map<string, Map<string, number>>();
    for (const s of this.records('ServiceResourceSkill')) {
      const user = typeof s.ServiceResourceId === 'string' ? resources.get(s.ServiceResourceId) : undefined;
      if (!user || typeof s.SkillId !== 'string') continue;
      const start = time(s.EffectiveStartDate);
      const end = time(s.EffectiveEndDate);
      if ((start !== undefined && start > now) || (end !== undefined && end < now)) continue;
      const m = out.get(user) ?? new Map<string, number>();
      m.set(s.SkillId, Math.max(m.get(s.SkillId) ?? 0, num(s.SkillLevel, 0)));
      out.set(user, m);
    }
    return out;
  }

  private route(): number {
    const t = this.tracking;
    if (t && this.org.unheardRevision?.() === t.revision) return this.routeChanged(t);
    this.tracking = undefined;
    return this.routeAll();
  }

  /**
   * A pass while the tracking holds: evaluates only the PSRs that may have an agent now (changed, drop
   * time passed, volatile). When none has one, nothing is assigned, as the full pass would find; when
   * one has, or the world differs, the full pass runs (with the clock already read).
   */
  private routeChanged(t: Tracking): number {
    if (t.ready.size === 0) return 0;
    const now = this.options.now();
    let waiting = t.ready.size;
    for (const id of t.taken) if (typeof id === 'string' && t.ready.has(id)) waiting--;
    if (waiting === 0) return 0;
    const skillsNow = this.options.now();
    const full = (): number => {
      this.tracking = undefined;
      return this.routeAll([now, skillsNow]);
    };
    if (now < t.now) return full();
    const pass: RoutingPass = {
      now,
      load: t.load,
      skills: this.agentSkills(skillsNow),
      requirements: new Map(),
      members: this.records('GroupMember'),
    };
    const world = this.worldKey(pass);
    if (world !== t.world || world !== this.stuckWorld) return full();
    t.now = now;
    const check = new Set<string>([...t.dirty, ...t.volatile]);
    // Due a little early rather than late: 'now - at >= ms' and 'now >= at + ms' may round apart.
    while (t.drops.length > 0 && (t.drops[0] as DropHeap[number]).at <= now + 1) {
      check.add((heapPop(t.drops) as DropHeap[number]).id);
    }
    for (const id of check) {
      const reqs = t.reqs.get(id);
      if (reqs) pass.requirements.set(id, [...reqs.values()]);
    }
    for (const id of check) {
      const psr = t.ready.get(id);
      if (!psr || t.taken.has(id)) {
        // Not waiting: becoming ready is a PSR change, losing its work an AgentWork change.
        t.dirty.delete(id);
        t.volatile.delete(id);
        continue;
      }
      let found: ReturnType<typeof this.candidatesFor>;
      try {
        found = this.candidatesFor(psr, pass, true);
      } catch {
        return full(); // the full pass reports it
      }
      if ((found?.candidates.length ?? 0) > 0) return full();
      t.dirty.delete(id);
      this.noteStuck(t, psr, pass);
    }
    return 0;
  }

  /** After a PSR found no agent: volatile unless its verdict holds, and when its additional skills drop. */
  private noteStuck(t: Tracking, psr: Readonly<SObjectRecord>, pass: RoutingPass): void {
    const v = this.stuck.get(psr.Id);
    if (!v || !this.knownStuck(psr, pass)) {
      t.volatile.add(psr.Id);
      return;
    }
    t.volatile.delete(psr.Id);
    if (v.drop && !v.drop.dropped) heapPush(t.drops, v.drop.requestedAt + v.drop.dropAfter * 1000, psr.Id);
  }

  private canTrack(): boolean {
    return this.options.routing === 'incremental' && !this.stopped && this.org.unheardRevision !== undefined;
  }

  /**
   * Starts the tracking after a full pass that found no agent for any waiting PSR; `waiting` are the
   * PSRs whose verdicts say when they must be looked at again (none when no PSR fits any agent).
   */
  private startTracking(
    pass: RoutingPass,
    world: string,
    psrs: readonly Readonly<SObjectRecord>[],
    waiting: readonly Readonly<SObjectRecord>[],
    taken: Set<unknown>,
  ): void {
    const revision = this.org.unheardRevision?.();
    if (!this.canTrack() || revision === undefined) return;
    const reqs = new Map<unknown, Map<string, Readonly<SObjectRecord>>>();
    for (const [k, list] of pass.requirements) reqs.set(k, new Map(list.map((r) => [r.Id, r])));
    const t: Tracking = {
      revision,
      world,
      load: pass.load,
      taken,
      ready: new Map(psrs.map((p) => [p.Id, p])),
      reqs,
      dirty: new Set(),
      volatile: new Set(),
      drops: [],
      now: pass.now,
    };
    for (const p of waiting) this.noteStuck(t, p, pass);
    this.tracking = t;
  }

  /** A pass over every waiting PSR (skipping those remembered as stuck under the same world). */
  private routeAll(clock?: readonly [number, number]): number {
    const psrs = this.records('PendingServiceRouting').filter((p) => p.IsReadyForRouting === true);
    if (psrs.length === 0) return 0;
    const now = clock?.[0] ?? this.options.now();
    const active = this.records('AgentWork').filter((w) => ACTIVE.has(String(w.Status)));
    const taken = new Set(active.map((w) => w.PendingServiceRoutingId));
    const waiting = psrs.filter((p) => !taken.has(p.Id));
    if (waiting.length === 0) return 0;
    const load = new Map<string, number>();
    for (const w of active) {
      if (typeof w.UserId === 'string')
        load.set(w.UserId, (load.get(w.UserId) ?? 0) + num(w.CapacityWeight, 1));
    }
    const skillsNow = clock?.[1] ?? this.options.now();
    // Nothing can be assigned when no online agent has room for any waiting PSR: every PSR below would
    // find no candidate (loads only grow during a pass), so the pass would take no action.
    let roomiest = Number.NEGATIVE_INFINITY;
    for (const a of this.agentsById.values()) {
      if (a.online) roomiest = Math.max(roomiest, a.capacity - (load.get(a.userId) ?? 0));
    }
    const noRoom = !waiting.some((p) => num(p.CapacityWeight, 1) <= roomiest);
    if (noRoom && !this.canTrack()) return 0;
    // SkillRequirements by their PSR (the table grows with every handoff: no scan per PSR).
    const requirements = new Map<unknown, Readonly<SObjectRecord>[]>();
    for (const r of this.records('SkillRequirement')) {
      const list = requirements.get(r.RelatedRecordId);
      if (list) list.push(r);
      else requirements.set(r.RelatedRecordId, [r]);
    }
    const pass: RoutingPass = {
      now,
      load,
      skills: this.agentSkills(skillsNow),
      requirements,
      members: this.records('GroupMember'),
    };
    const world = this.worldKey(pass);
    if (world !== this.stuckWorld) {
      this.stuck.clear();
      this.stuckWorld = world;
    }
    if (noRoom) {
      // No waiting PSR fits any agent, whatever the time: only a PSR write (its weight) or a change on
      // the agents' side can change that.
      this.startTracking(pass, world, psrs, [], taken);
      return 0;
    }
    // A pass assigns nothing unless some waiting PSR has a candidate under the loads it starts with
    // (no assignment, no change of load). PSRs already known to have none are not evaluated again;
    // only when one has a candidate does the full pass below run, in routing order.
    const assignable = waiting.some((psr) => {
      if (this.knownStuck(psr, pass)) return false;
      try {
        return (this.candidatesFor(psr, pass, true)?.candidates.length ?? 0) > 0;
      } catch {
        return true; // the full pass reports it
      }
    });
    if (!assignable) {
      this.startTracking(pass, world, psrs, waiting, taken);
      return 0;
    }
    // When each PSR was requested, read once per pass (not inside the sort's comparisons).
    const requested = new Map<string, number>();
    for (const p of waiting) requested.set(p.Id, this.requestedAt(p, now).at);
    const requestedAt = (p: Readonly<SObjectRecord>): number => requested.get(p.Id) ?? now;
    waiting.sort((a, b) => {
      const pa = num(a.RoutingPriority, Number.MAX_SAFE_INTEGER);
      const pb = num(b.RoutingPriority, Number.MAX_SAFE_INTEGER);
      if (pa !== pb) return pa - pb;
      const ta = requestedAt(a);
      const tb = requestedAt(b);
      if (ta !== tb) return ta - tb;
      return a.Id < b.Id ? -1 : 1;
    });
    let actions = 0;
    for (const psr of waiting) {
      try {
        // Until the first assignment of this pass the loads are the ones the verdicts were made with.
        if (actions === 0 && this.knownStuck(psr, pass)) continue;
        const found = this.candidatesFor(psr, pass, actions === 0);
        if (!found || found.candidates.length === 0) continue;
        const { queueId, weight } = found;
        const candidates = found.candidates;
        const leastActive = psr.RoutingModel === 'LeastActive';
        candidates.sort((a, b) => {
          const la = load.get(a.userId) ?? 0;
          const lb = load.get(b.userId) ?? 0;
          if (leastActive) {
            if (la !== lb) return la - lb;
          } else {
            const fa = a.capacity - la;
            const fb = b.capacity - lb;
            if (fa !== fb) return fb - fa;
          }
          const ra = this.lastAssigned.get(a.userId) ?? -1;
          const rb = this.lastAssigned.get(b.userId) ?? -1;
          if (ra !== rb) return ra - rb;
          return a.username < b.username ? -1 : 1;
        });
        const agent = candidates[0] as AgentConfig;
        const id = this.sysCreate('AgentWork', {
          UserId: agent.userId,
          WorkItemId: psr.WorkItemId,
          PendingServiceRoutingId: psr.Id,
          ServiceChannelId: psr.ServiceChannelId,
          RoutingType: psr.RoutingType ?? (queueId ? 'QueueBased' : 'SkillsBased'),
          RoutingModel: psr.RoutingModel ?? 'MostAvailable',
          RoutingPriority: psr.RoutingPriority ?? null,
          CapacityWeight: weight,
          Status: 'Assigned',
          AssignedDateTime: iso(now),
          ...(queueId ? { OriginalGroupId: queueId } : {}),
        });
        this.assignedAt.set(id, now);
        this.lastAssigned.set(agent.userId, ++this.seq);
        load.set(agent.userId, (load.get(agent.userId) ?? 0) + weight);
        actions++;
        this.schedule(this.options.acceptDelayMs);
      } catch (e) {
        this.report(e);
      }
    }
    return actions;
  }

  /** When a PSR was requested, and whether that comes from its own fields (fixed) or not. */
  private requestedAt(psr: Readonly<SObjectRecord>, now: number): { at: number; fromRecord: boolean } {
    const fromRecord = time(psr.CustomRequestedDateTime) ?? time(psr.CreatedDate);
    if (fromRecord !== undefined) return { at: fromRecord, fromRecord: true };
    return { at: this.readyAt.get(psr.Id) ?? now, fromRecord: false };
  }

  /**
   * The agents a waiting PSR can go to under the pass's loads (undefined: a queue-routed PSR without a
   * queue). With `remember`, a PSR with none is noted as stuck (see knownStuck).
   */
  private candidatesFor(
    psr: Readonly<SObjectRecord>,
    pass: RoutingPass,
    remember: boolean,
  ): { candidates: AgentConfig[]; queueId: string | undefined; weight: number } | undefined {
    const { now, load, skills, requirements, members } = pass;
    const weight = num(psr.CapacityWeight, 1);
    let candidates = [...this.agentsById.values()].filter(
      (a) => a.online && a.capacity - (load.get(a.userId) ?? 0) >= weight,
    );
    const queueId =
      this.psrQueue.get(psr.Id) ??
      (typeof psr.GroupId === 'string'
        ? psr.GroupId
        : typeof psr.QueueId === 'string'
          ? psr.QueueId
          : undefined);
    const allReqs = requirements.get(psr.Id) ?? [];
    let drop: StuckVerdict['drop'];
    let cacheable = true;
    if (psr.RoutingType === 'QueueBased' || (psr.RoutingType !== 'SkillsBased' && queueId)) {
      if (!queueId) {
        if (remember) this.rememberStuck(psr, allReqs, drop);
        return undefined;
      }
      const users = new Set(members.filter((m) => m.GroupId === queueId).map((m) => m.UserOrGroupId));
      candidates = candidates.filter((a) => users.has(a.userId));
    } else {
      let reqs = allReqs;
      const dropAfter = psr.DropAdditionalSkillsTimeout;
      if (typeof dropAfter === 'number') {
        const requested = this.requestedAt(psr, now);
        const dropped = now - requested.at >= dropAfter * 1000;
        if (dropped) reqs = reqs.filter((r) => r.IsAdditionalSkill !== true);
        drop = { requestedAt: requested.at, dropAfter, dropped };
        cacheable = requested.fromRecord;
      }
      candidates = candidates.filter((a) => {
        const mine = skills.get(a.userId);
        return reqs.every((r) => {
          const level = typeof r.SkillId === 'string' ? mine?.get(r.SkillId) : undefined;
          return level !== undefined && level >= num(r.SkillLevel, 0);
        });
      });
    }
    if (psr.IsPreferredUserRequired === true && typeof psr.PreferredUserId === 'string') {
      candidates = candidates.filter((a) => a.userId === psr.PreferredUserId);
    } else if (typeof psr.PreferredUserId === 'string') {
      const preferred = candidates.filter((a) => a.userId === psr.PreferredUserId);
      if (preferred.length > 0) candidates = preferred;
    }
    if (remember && cacheable && candidates.length === 0) this.rememberStuck(psr, allReqs, drop);
    return { candidates, queueId, weight };
  }

  /**
   * Everything besides the PSR itself that decides whether a PSR finds an agent: presence, capacity
   * and load of each agent, their skills (effective now) and queue memberships.
   */
  private worldKey(pass: RoutingPass): string {
    const parts: string[] = [];
    for (const a of this.agentsById.values()) {
      parts.push(`${a.userId}|${a.online}|${a.capacity}|${pass.load.get(a.userId) ?? 0}`);
    }
    for (const [user, levels] of pass.skills) parts.push(`${user}:${JSON.stringify([...levels])}`);
    for (const m of pass.members) parts.push(`${String(m.GroupId)}>${String(m.UserOrGroupId)}`);
    return parts.join('\n');
  }

  private rememberStuck(
    psr: Readonly<SObjectRecord>,
    reqs: readonly Readonly<SObjectRecord>[],
    drop: StuckVerdict['drop'],
  ): void {
    this.stuck.set(psr.Id, { psr, reqs, queue: this.psrQueue.get(psr.Id), drop });
  }

  /**
   * True when an earlier pass found no agent for this PSR and nothing it depended on has changed: the
   * same record (a write stores a new object), the same SkillRequirements, the same queue link, the
   * same side of its additional-skill drop time, and the same world (checked per pass, worldKey).
   */
  private knownStuck(psr: Readonly<SObjectRecord>, pass: RoutingPass): boolean {
    if (this.options.routing === 'full') return false;
    const v = this.stuck.get(psr.Id);
    if (!v || v.psr !== psr || v.queue !== this.psrQueue.get(psr.Id)) return false;
    const reqs = pass.requirements.get(psr.Id) ?? [];
    if (reqs.length !== v.reqs.length || reqs.some((r, i) => r !== v.reqs[i])) return false;
    if (v.drop && pass.now - v.drop.requestedAt >= v.drop.dropAfter * 1000 !== v.drop.dropped) return false;
    return true;
  }

  /** Serialisable routing state (presence and queue links). */
  snapshot(): unknown {
    return { agents: [...this.agentsById.values()], psrQueue: [...this.psrQueue] };
  }

  restore(state: unknown): void {
    this.stuck.clear();
    this.tracking = undefined;
    const s = state as { agents?: AgentConfig[]; psrQueue?: [string, string][] } | undefined;
    if (!s) return;
    for (const a of s.agents ?? []) this.agentsById.set(a.userId, { ...a });
    for (const [k, v] of s.psrQueue ?? []) this.psrQueue.set(k, v);
  }
}
