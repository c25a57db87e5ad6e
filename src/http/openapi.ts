/**
 * The OpenAPI 3.1 document, generated from the zod schemas in src/contract (z.toJSONSchema); nothing
 * here restates a field by hand.
 */
import { z } from 'zod';
import { handoffAnswerSchema } from '../contract/answer';
import { handoffIdSchema, handoffRequestSchema } from '../contract/handoff';
import { problemSchema } from '../contract/problem';
import { escalationEvaluationSchema, routingDecisionSchema } from '../contract/routing';
import { conversationStateSchema } from '../policy';

/** What POST /v1/escalations/evaluate answers: the evaluation and the recommended routing. */
const escalationAdviceSchema = escalationEvaluationSchema.extend({
  recommendation: routingDecisionSchema.omit({ dropAdditionalSkillsTimeout: true }),
});

type JsonObject = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  const out = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonObject;
  delete out.$schema;
  return out;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ref('Problem') } },
});
const answer = (description: string, headers?: JsonObject) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/json': { schema: ref('HandoffAnswer') } },
});
const requestIdHeader = {
  'X-Request-Id': {
    description: 'Echoes a sane X-Request-Id, or the one the service made',
    schema: { type: 'string' },
  },
};

export function buildOpenApiDocument(version: string): JsonObject {
  const common = {
    '401': problem('Missing or unacceptable bearer token (WWW-Authenticate says which)'),
    '500': problem('Something went wrong on our side; the body carries the request id only'),
    '503': problem('The service cannot store handoffs right now; retry with the same handoffId'),
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'FSC Handoff',
      version,
      description:
        'Hands a chatbot conversation to a human in Salesforce Financial Services Cloud: one request creates or enriches a Case that Omni-Channel routes to an agent with the right skills.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    security: [{ botJwt: [] }],
    paths: {
      '/v1/handoffs': {
        post: {
          operationId: 'submitHandoff',
          summary: 'Hand a conversation to a human',
          requestBody: { required: true, content: { 'application/json': { schema: ref('HandoffRequest') } } },
          responses: {
            '201': answer('Delivered within the latency budget: the Case exists and is being routed', {
              ...requestIdHeader,
              Location: { schema: { type: 'string' } },
            }),
            '202': answer('Accepted durably; delivering in the background. Poll statusUrl.', {
              ...requestIdHeader,
              Location: { schema: { type: 'string' } },
            }),
            '200': answer(
              'The same handoffId and body were received before: its current status; nothing new created',
            ),
            '400': problem('Malformed JSON, or invalid fields (errors lists every one)'),
            '409': problem('The same handoffId was received before with a different body'),
            '413': problem('The body is larger than the service accepts'),
            '415': problem('The body is not JSON'),
            ...common,
          },
        },
      },
      '/v1/handoffs/{handoffId}': {
        get: {
          operationId: 'getHandoff',
          summary: 'The current status of a handoff',
          parameters: [
            { name: 'handoffId', in: 'path', required: true, schema: jsonSchema(handoffIdSchema, 'input') },
          ],
          responses: {
            '200': answer('The handoff and where it is'),
            '400': problem('Not a valid handoff id'),
            '404': problem('No handoff with this id'),
            ...common,
          },
        },
      },
      '/v1/escalations/evaluate': {
        post: {
          operationId: 'evaluateEscalation',
          summary: 'Mid-conversation: should the bot hand off now, and to which skills?',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: ref('ConversationState') } },
          },
          responses: {
            '200': {
              description: 'Every rule that fired and why, and the recommended routing',
              content: { 'application/json': { schema: ref('EscalationAdvice') } },
            },
            '400': problem('Invalid conversation state (errors lists every field)'),
            '401': common['401'],
          },
        },
      },
      '/healthz': {
        get: {
          operationId: 'health',
          security: [],
          summary: 'Liveness: the process answers',
          responses: { '200': { description: 'Alive' } },
        },
      },
      '/readyz': {
        get: {
          operationId: 'ready',
          security: [],
          summary: 'Readiness: the store and Salesforce are usable',
          responses: { '200': { description: 'Ready' }, '503': { description: 'Not ready; checks say why' } },
        },
      },
    },
    components: {
      securitySchemes: {
        botJwt: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'A JWT for this service (aud) from a trusted issuer (iss), with exp; HS256 or asymmetric keys.',
        },
      },
      schemas: {
        HandoffRequest: jsonSchema(handoffRequestSchema, 'input'),
        HandoffAnswer: jsonSchema(handoffAnswerSchema, 'output'),
        Problem: jsonSchema(problemSchema, 'output'),
        ConversationState: jsonSchema(conversationStateSchema, 'input'),
        EscalationAdvice: jsonSchema(escalationAdviceSchema, 'output'),
      },
    },
  };
}
