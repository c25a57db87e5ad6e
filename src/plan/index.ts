export {
  salesforceMappingSchema,
  enrichmentSettingsSchema,
  defaultMapping,
  DEFAULT_LENGTHS,
  type SalesforceMapping,
  type SalesforceMappingInput,
  type EnrichmentSettings,
  type LengthKey,
} from './mapping';
export {
  planHandoffGraph,
  tenSecondSummary,
  graphDepth,
  nodeTypes,
  REF,
  GRAPH_LIMITS,
  NOT_LINKED_NOTE,
  type CompositeGraph,
  type GraphNode,
  type GraphMethod,
  type PlanInput,
  type ResolvedIds,
} from './graph';
export { splitTranscript, renderTurn, type TranscriptPart } from './transcript';
export { fitSummary, fitList, fitInline, fitJsonRecord, truncationMarker } from './text';
