/**
 * The handoff service: validate → decide → redact → hand to the Deliverer → answer. Plain functions
 * over typed data: no request, no response, no Salesforce. The HTTP layer maps what this returns
 * (and the AppErrors it throws) to status codes.
 */
import type { HandoffAnswer } from '../contract/answer';
import { handoffIdSchema, type Handoff } from '../contract/handoff';
import type { PreparedHandoff } from '../contract/prepared';
import type { EscalationEvaluation, RoutingDecision } from '../contract/routing';
import { AppError } from '../errors';
import type { Logger } from '../log';
import {
  buildSummary,
  conversationStateFromHandoff,
  decideRouting,
  evaluateEscalation,
  type PolicyConfig,
  type RoutingConfig,
} from '../policy';
import { redactHandoff, scrubText } from '../redact';
import type { Deliverer, HandoffRecord, ReadinessCheck } from './deliverer';
import { bodyHash, validateHandoff, validationError } from './validate';

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
  logger?: Logger;
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
  status(handoffId: string, ctx?: Pick<SubmitContext, 'logger'>): Promise<HandoffAnswer>;
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
  function prepare(h: Handoff, at: Date): PreparedHandoff {
    const evaluation = scrubEvaluation(evaluateEscalation(conversationStateFromHandoff(h), deps.policy, at));
    const decision = scrubDecision(decideRouting(h, evaluation, deps.routing));
    const withSummary: Handoff = h.conversation.summary
      ? h
      : { ...h, conversation: { ...h.conversation, summary: buildSummary(h) } };
    const { handoff, redactions } = redactHandoff(withSummary);
    return {
      handoffId: h.handoffId,
      bodyHash: bodyHash(h),
      receivedAt: at.toISOString(),
      handoff,
      decision,
      evaluation,
      redactions,
    };
  }

  return {
    async submit(raw, ctx) {
      const log = ctx.logger ?? deps.logger;
      const h = validateHandoff(raw);
      const prepared = prepare(h, now());
      const result = await deps.deliverer.submit(prepared);
      const url = statusUrl(h.handoffId);
      log.info('handoff submitted', {
        handoffId: h.handoffId,
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
          message: `Handoff ${h.handoffId} was already received with a different body.`,
          actions: [
            'Resend the exact original body to read its status, or use a new handoffId for a new handoff.',
            `GET ${url} for the status of the original.`,
          ],
        });
      }
      return { outcome: result.state, answer: answerFromRecord(result.record, url) };
    },

    async status(handoffId) {
      if (!handoffIdSchema.safeParse(handoffId).success) {
        throw validationError([{ path: 'handoffId', message: 'is not a valid handoff id' }]);
      }
      const record = await deps.deliverer.status(handoffId);
      if (!record) {
        throw new AppError({
          code: 'HANDOFF_NOT_FOUND',
          status: 404,
          message: `No handoff with id ${handoffId}.`,
          actions: ['Check the handoffId; POST /v1/handoffs to send a new handoff.'],
        });
      }
      return answerFromRecord(record, statusUrl(handoffId));
    },

    readiness() {
      return deps.deliverer.readiness();
    },
  };
}
