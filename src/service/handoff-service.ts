/**
 * The handoff service: validate → decide → redact → hand to the Deliverer → answer. Plain functions
 * over typed data: no request, no response, no Salesforce. The HTTP layer maps what this returns
 * (and the AppErrors it throws) to status codes.
 */
import type { HandoffAnswer } from '../contract/answer';
import { handoffIdSchema, type Handoff } from '../contract/handoff';
import type { Caller, PreparedHandoff } from '../contract/prepared';
import type { EscalationEvaluation, RoutingDecision } from '../contract/routing';
import { AppError } from '../errors';
import type { Logger } from '../log';
import {
  buildSummary,
  conversationStateFromHandoff,
  decideRoutingForState,
  evaluateEscalation,
  type PolicyConfig,
  type RoutingConfig,
} from '../policy';
import { redactHandoff, scrubText } from '../redact';
import type { Deliverer, HandoffRecord, ReadinessCheck } from './deliverer';
import {
  boundBodyHash,
  callerKey,
  callerTag,
  splitBodyHash,
  validateHandoff,
  validationError,
} from './validate';

export interface HandoffServiceDeps {
  deliverer: Deliverer;
  policy: PolicyConfig;
  routing: RoutingConfig;
  logger: Logger;
  /** The clock (tests pass a fixed one). */
  now?: () => Date;
  /** Where a bot reads a handoff's status; relative by default. */
  statusUrl?: (handoffId: string) => string;
}

export interface SubmitContext {
  requestId: string;
  /** Who sent it (the bot's token subject), for the log. */
  botSubject?: string;
  /**
   * The authenticated caller; only it may read the handoff's status or replay it. When absent (the
   * platform adapters pass only botSubject) it is derived from botSubject and the adapter's platform.
   */
  caller?: Caller;
  logger?: Logger;
}

export interface StatusContext {
  logger?: Logger;
  /** The authenticated caller: a handoff another caller submitted answers 404, as if unknown. */
  caller?: Caller;
}

/**
 * delivered → 201, pending → 202, replay → 200. A conflict (same handoffId, other body) is thrown as
 * AppError 409, a validation failure as AppError 400.
 */
export interface SubmitAnswer {
  outcome: 'delivered' | 'pending' | 'replay';
  answer: HandoffAnswer;
}

export interface HandoffService {
  submit(raw: unknown, ctx: SubmitContext): Promise<SubmitAnswer>;
  /** The current answer for a handoff; AppError 404 when unknown. */
  status(handoffId: string, ctx?: StatusContext): Promise<HandoffAnswer>;
  readiness(): Promise<ReadinessCheck[]>;
}

export const defaultStatusUrl = (handoffId: string): string =>
  `/v1/handoffs/${encodeURIComponent(handoffId)}`;

/** Policy reasons may quote what the customer typed: they are scrubbed like any stored text. */
function scrubEvaluation(e: EscalationEvaluation): EscalationEvaluation {
  return { ...e, fired: e.fired.map((f) => ({ ...f, reason: scrubText(f.reason) })) };
}

function scrubDecision(d: RoutingDecision): RoutingDecision {
  return { ...d, reasons: d.reasons.map(scrubText) };
}

/**
 * The caller of a submission: the one the route authenticated, or (platform adapters, which pass only
 * the principal's name) derived from it and the adapter's platform. The Bot Framework adapter
 * authenticates with a bot JWT but passes on its subject only.
 */
function callerOf(h: Handoff, ctx: SubmitContext): Caller | undefined {
  if (ctx.caller) return ctx.caller;
  if (!ctx.botSubject) return undefined;
  return h.source.platform === 'bot_framework'
    ? { kind: 'jwt_subject', subject: ctx.botSubject }
    : { kind: 'adapter', platform: h.source.platform, principal: ctx.botSubject };
}

/** Whose handoffs a caller may read: its own; a bot JWT also those it sent through the Bot Framework adapter. */
function readableAs(c: Caller): Caller[] {
  return c.kind === 'jwt' ? [c, { kind: 'jwt_subject', subject: c.subject }] : [c];
}

/**
 * own / other: the record's caller is (not) one `c` may read as. legacy: the record was stored
 * before callers were recorded (readable by any authenticated bot, as it was then).
 */
function ownership(record: HandoffRecord, c: Caller): 'own' | 'other' | 'legacy' {
  const mine = readableAs(c);
  if (record.caller) {
    const key = callerKey(record.caller);
    return mine.some((m) => callerKey(m) === key) ? 'own' : 'other';
  }
  const { tag } = splitBodyHash(record.bodyHash);
  if (tag === undefined) return 'legacy';
  return mine.some((m) => callerTag(m) === tag) ? 'own' : 'other';
}

function notFound(handoffId: string): AppError {
  return new AppError({
    code: 'HANDOFF_NOT_FOUND',
    status: 404,
    message: `No handoff with id ${handoffId}.`,
    actions: ['Check the handoffId; POST /v1/handoffs to send a new handoff.'],
  });
}

export function answerFromRecord(record: HandoffRecord, statusUrl: string): HandoffAnswer {
  const outcome = record.outcome;
  return {
    handoffId: record.handoffId,
    status: record.state,
    statusUrl,
    caseId: outcome?.caseId ?? null,
    caseNumber: outcome?.caseNumber ?? null,
    handoffRecordId: outcome?.handoffRecordId ?? null,
    enrichedExistingCase: outcome?.enrichedExistingCase ?? false,
    routing: record.decision,
    agent: record.agent ?? null,
    salesforceApiCalls: record.salesforceApiCalls,
    redactions: record.redactions,
    error: record.lastError,
  };
}

export function createHandoffService(deps: HandoffServiceDeps): HandoffService {
  const now = deps.now ?? (() => new Date());
  const statusUrl = deps.statusUrl ?? defaultStatusUrl;

  /** decide → redact: everything delivery needs, with no unredacted customer data. */
  function prepare(h: Handoff, at: Date, caller: Caller | undefined): PreparedHandoff {
    // One conversation state for both: the escalation policy and the routing rules read it, never change it.
    const state = conversationStateFromHandoff(h);
    const evaluation = scrubEvaluation(evaluateEscalation(state, deps.policy, at));
    const decision = scrubDecision(decideRoutingForState(state, evaluation, deps.routing));
    const withSummary: Handoff = h.conversation.summary
      ? h
      : { ...h, conversation: { ...h.conversation, summary: buildSummary(h) } };
    const { handoff, redactions } = redactHandoff(withSummary);
    return {
      handoffId: h.handoffId,
      bodyHash: boundBodyHash(h, caller),
      receivedAt: at.toISOString(),
      handoff,
      decision,
      evaluation,
      redactions,
      ...(caller ? { caller } : {}),
    };
  }

  /**
   * validate → decide → redact, synchronously: the request's body and its validated copy stay in this
   * frame, so they are garbage once it returns, not held by `deliver` while Salesforce answers.
   */
  function begin(
    raw: unknown,
    ctx: SubmitContext,
  ): { prepared: PreparedHandoff; caller: Caller | undefined } {
    const h = validateHandoff(raw);
    const caller = callerOf(h, ctx);
    return { prepared: prepare(h, now(), caller), caller };
  }

  async function deliver(
    prepared: PreparedHandoff,
    caller: Caller | undefined,
    ctx: SubmitContext,
  ): Promise<SubmitAnswer> {
    const log = ctx.logger ?? deps.logger;
    const { handoffId } = prepared;
    const result = await deps.deliverer.submit(prepared);
    const url = statusUrl(handoffId);
    if (result.state === 'replay' || result.state === 'conflict') {
      if (caller && ownership(result.record, caller) === 'other') {
        // Another caller's handoff: 409 with nothing about it (no status, no case, no link), so a
        // reused or guessed id neither leaks the first caller's answer nor touches its handoff.
        log.info('handoff id in use by another caller', { handoffId, bot: ctx.botSubject });
        throw new AppError({
          code: 'HANDOFF_CONFLICT',
          status: 409,
          message: `Handoff id ${handoffId} is already in use.`,
          actions: ['Use a new handoffId for a new handoff.'],
        });
      }
      // Same body, stored before callers were bound (or bound as the Bot Framework adapter's
      // subject): a replay all the same.
      const sameBody = splitBodyHash(result.record.bodyHash).body === splitBodyHash(prepared.bodyHash).body;
      if (result.state === 'conflict' && sameBody) {
        log.info('handoff submitted', {
          handoffId,
          result: 'replay',
          status: result.record.state,
        });
        return { outcome: 'replay', answer: answerFromRecord(result.record, url) };
      }
    }
    log.info('handoff submitted', {
      handoffId,
      result: result.state,
      status: result.record.state,
      routingMode: prepared.decision.mode,
      skills: prepared.decision.skills.map((s) => s.developerName),
      queue: prepared.decision.queue,
      redactions: prepared.redactions,
      bot: ctx.botSubject,
    });
    if (result.state === 'conflict') {
      throw new AppError({
        code: 'HANDOFF_CONFLICT',
        status: 409,
        message: `Handoff ${handoffId} was already received with a different body.`,
        actions: [
          'Resend the exact original body to read its status, or use a new handoffId for a new handoff.',
          `GET ${url} for the status of the original.`,
        ],
      });
    }
    return { outcome: result.state, answer: answerFromRecord(result.record, url) };
  }

  return {
    async submit(raw, ctx) {
      const { prepared, caller } = begin(raw, ctx);
      // Returned, not awaited: this frame (and `raw` in it) ends here.
      return deliver(prepared, caller, ctx);
    },

    async status(handoffId, ctx = {}) {
      if (!handoffIdSchema.safeParse(handoffId).success) {
        throw validationError([{ path: 'handoffId', message: 'is not a valid handoff id' }]);
      }
      const record = await deps.deliverer.status(handoffId);
      if (!record) throw notFound(handoffId);
      // Another caller's handoff answers exactly like an unknown id, so ids cannot be probed.
      if (ctx.caller && ownership(record, ctx.caller) === 'other') throw notFound(handoffId);
      return answerFromRecord(record, statusUrl(handoffId));
    },

    readiness() {
      return deps.deliverer.readiness();
    },
  };
}
