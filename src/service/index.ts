export { createHandoffService, answerFromRecord, defaultStatusUrl } from './handoff-service';
export type {
  HandoffService,
  HandoffServiceDeps,
  StatusContext,
  SubmitAnswer,
  SubmitContext,
} from './handoff-service';
export type { Deliverer, DeliveredOutcome, HandoffRecord, ReadinessCheck, SubmitResult } from './deliverer';
export {
  validateHandoff,
  validationError,
  bodyHash,
  boundBodyHash,
  callerKey,
  callerTag,
  splitBodyHash,
  canonicalJson,
} from './validate';
