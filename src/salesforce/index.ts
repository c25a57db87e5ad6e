export {
  createSalesforceClient,
  apiCallsOf,
  type SalesforceClient,
  type SalesforceClientConfig,
  type SendGraphsResult,
  type GraphResult,
  type SubrequestResult,
  type CallCounts,
  type Logger,
} from './client';
export {
  deliverHandoffs,
  findDelivered,
  findCasesToEnrich,
  soqlString,
  chunkGraphs,
  graphNodeCount,
  apportion,
  type DeliveryContext,
  type DeliveredRecord,
} from './deliver';
export {
  SalesforceError,
  isSalesforceError,
  classifyErrorCode,
  toSalesforceError,
  salesforceErrorFromCode,
  firstSalesforceError,
  type RetryClass,
} from './errors';
