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
import { BOT_FRAMEWORK_PATH } from './routes/adapters/bot-framework';
import { DIALOGFLOW_CX_PATH } from './routes/adapters/dialogflow-cx';
import { LEX_V2_PATH } from './routes/adapters/lex-v2';
import { RASA_PATH } from './routes/adapters/rasa';

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

const BOTS_DOC = 'docs/bots.md';

interface AdapterDoc {
  path: string;
  operationId: string;
  title: string;
  /** Section of docs/bots.md. */
  anchor: string;
  /** What the platform sends. */
  request: string;
  /** Success statuses and what each means. */
  success: Record<string, string>;
  /** Security requirement names (components.securitySchemes). */
  security: string[];
  /** Mounted only when the adapter's shared secret is configured. */
  needsSecret?: string;
}

const ADAPTERS: AdapterDoc[] = [
  {
    path: BOT_FRAMEWORK_PATH,
    operationId: 'botFrameworkHandoff',
    title: 'Bot Framework / Copilot Studio: a handoff.initiate event',
    anchor: 'bot-framework--copilot-studio',
    request: 'A Bot Framework activity (type event, name handoff.initiate) with the transcript attachment.',
    success: {
      '201': 'Delivered: the Case exists; the handoff plus a handoff.status event activity for the bot',
      '202': 'Accepted durably; delivering in the background',
      '200': 'The same handoff was received before: its current status',
    },
    security: ['botJwt'],
  },
  {
    path: DIALOGFLOW_CX_PATH,
    operationId: 'dialogflowCxHandoff',
    title: 'Dialogflow CX: a webhook call (WebhookRequest)',
    anchor: 'dialogflow-cx',
    request: 'A Dialogflow CX WebhookRequest (sessionInfo parameters, fulfillmentInfo tag, messages).',
    success: { '200': 'A WebhookResponse with liveAgentHandoff and a text message' },
    security: ['adapterToken', 'adapterBasic'],
    needsSecret: 'DIALOGFLOW_CX_WEBHOOK_TOKENS',
  },
  {
    path: LEX_V2_PATH,
    operationId: 'lexV2Handoff',
    title: 'Amazon Lex V2: a code hook event (through the relay Lambda)',
    anchor: 'amazon-lex-v2',
    request: 'A Lex V2 Lambda input event (sessionState, interpretations, transcriptions).',
    success: { '200': 'A Lex V2 Lambda response (Close, intent state, a PlainText message)' },
    security: ['adapterToken', 'adapterBasic'],
    needsSecret: 'LEX_V2_WEBHOOK_TOKENS',
  },
  {
    path: RASA_PATH,
    operationId: 'rasaHandoff',
    title: 'Rasa: an action server call (or a tracker); gzip bodies accepted',
    anchor: 'rasa',
    request: 'A Rasa action server request (next_action, tracker, domain) or a tracker.',
    success: {
      '200': 'A Rasa action server response {events, responses}: slot events with the case and a message',
    },
    security: ['adapterToken', 'adapterBasic'],
    needsSecret: 'RASA_WEBHOOK_TOKENS',
  },
];

/** The platform endpoints: bodies are the platforms' own formats, documented in docs/bots.md. */
function adapterPaths(common: Record<string, unknown>): JsonObject {
  const nativeProblem = (description: string) => ({
    description: `${description}. problem+json with the platform's own error member(s) added`,
    content: { 'application/problem+json': { schema: ref('Problem') } },
  });
  const paths: JsonObject = {};
  for (const a of ADAPTERS) {
    const see = `See ${BOTS_DOC}#${a.anchor}.`;
    const mounted = a.needsSecret
      ? ` Mounted only when ${a.needsSecret} (or its basic credentials) is configured; otherwise 404.`
      : '';
    paths[a.path] = {
      post: {
        operationId: a.operationId,
        summary: a.title,
        description: `${a.request} ${see}${mounted}`,
        tags: ['platform adapters'],
        security: a.security.map((name) => ({ [name]: [] })),
        requestBody: {
          required: true,
          description: `The platform's native payload. ${see}`,
          content: { 'application/json': { schema: { type: 'object', description: `${a.request} ${see}` } } },
        },
        responses: {
          ...Object.fromEntries(
            Object.entries(a.success).map(([status, description]) => [
              status,
              {
                description,
                content: {
                  'application/json': {
                    schema: { type: 'object', description: `The platform's answer. ${see}` },
                  },
                },
              },
            ]),
          ),
          '400': nativeProblem(
            'Malformed JSON or a payload the adapter cannot read (errors names the fields)',
          ),
          '401': nativeProblem('Missing or wrong credentials (WWW-Authenticate says which scheme)'),
          '409': nativeProblem(
            'The same handoffId was received before with a different body or from another caller',
          ),
          '413': nativeProblem('The body is larger than the service accepts'),
          '415': nativeProblem('The body is not JSON, or its encoding is not supported'),
          '500': common['500'],
          '503': common['503'],
        },
      },
    };
  }
  return paths;
}

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
      ...adapterPaths(common),
      '/metrics': {
        get: {
          operationId: 'metrics',
          security: [],
          summary: 'Prometheus metrics (delivery queue, outcomes, Salesforce calls, process)',
          responses: {
            '200': {
              description: 'Prometheus text exposition format',
              content: { 'text/plain; version=0.0.4; charset=utf-8': { schema: { type: 'string' } } },
            },
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
        adapterToken: {
          type: 'http',
          scheme: 'bearer',
          description: `A shared token configured for the adapter (or in its token header / query parameter); see ${BOTS_DOC}.`,
        },
        adapterBasic: {
          type: 'http',
          scheme: 'basic',
          description: `Basic credentials configured for the adapter; see ${BOTS_DOC}.`,
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
