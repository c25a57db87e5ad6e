/**
 * Bot Framework / Copilot Studio: a `handoff.initiate` event activity (alone, or inside a Direct Line
 * `{activities: [...]}` page) → the canonical handoff; a `handoff.status` event activity back.
 *
 * The event's `value` holds the hand-off context: Copilot Studio's `va_*` variables (both documented
 * spellings, `va_LastPhrase` and `va_LastPhrases`) and any other variables, read through the configured
 * attribute names. The `Transcript` attachment holds the prior activities.
 */
import { z } from 'zod';
import type { HandoffAnswer, HandoffState } from '../contract/answer';
import type { HandoffRequestInput } from '../contract/handoff';
import type { FieldProblem } from '../errors';
import {
  buildHandoffInput,
  customerMessage,
  guessReason,
  handoffFailed,
  invalidInput,
  isFallbackName,
  isoTime,
  objectOrUndefined,
  stableHandoffId,
  turns,
  zodProblems,
} from './common';
import type { AdapterMapping } from './mapping';

const LABEL = 'Bot Framework handoff.initiate activity';

const channelAccount = z.looseObject({
  id: z.string().optional(),
  name: z.string().optional(),
  role: z.string().optional(),
});
const conversationAccount = z.looseObject({ id: z.string().min(1, 'must not be empty') });

const activitySchema = z.looseObject({
  type: z.string(),
  name: z.string().optional(),
  id: z.string().optional(),
  timestamp: z.string().optional(),
  channelId: z.string().optional(),
  serviceUrl: z.string().optional(),
  locale: z.string().optional(),
  conversation: conversationAccount,
  from: channelAccount.optional(),
  recipient: channelAccount.optional(),
  value: z.unknown().optional(),
  attachments: z
    .array(
      z.looseObject({
        contentType: z.string().optional(),
        name: z.string().optional(),
        content: z.unknown(),
      }),
    )
    .optional(),
  relatesTo: z
    .looseObject({
      activityId: z.string().optional(),
      user: channelAccount.optional(),
      bot: channelAccount.optional(),
      conversation: conversationAccount.optional(),
      channelId: z.string().optional(),
      serviceUrl: z.string().optional(),
    })
    .optional(),
});
type Activity = z.infer<typeof activitySchema>;

const transcriptActivitySchema = z.looseObject({
  type: z.string().optional(),
  text: z.string().optional(),
  timestamp: z.string().optional(),
  locale: z.string().optional(),
  from: channelAccount.optional(),
});

/** The conversation the answer's handoff.status must carry, and what it relates to. */
export interface BotFrameworkReplyContext {
  conversation: { id: string } & Record<string, unknown>;
  relatesTo?: Record<string, unknown>;
  channelId?: string;
  serviceUrl?: string;
}

export type HandoffStatusState = 'accepted' | 'failed' | 'completed';

/** A `handoff.status` event activity, as the Bot Framework handoff protocol defines it. */
export interface HandoffStatusActivity {
  type: 'event';
  name: 'handoff.status';
  value: { state: HandoffStatusState; message?: string };
  conversation: { id: string } & Record<string, unknown>;
  relatesTo?: Record<string, unknown>;
  channelId?: string;
  serviceUrl?: string;
}

/** Builds the `handoff.status` event the bot receives when the handoff is accepted, failed or completed. */
export function handoffStatusActivity(
  reply: BotFrameworkReplyContext,
  state: HandoffStatusState,
  message?: string,
): HandoffStatusActivity {
  return {
    type: 'event',
    name: 'handoff.status',
    value: { state, ...(message === undefined ? {} : { message }) },
    conversation: reply.conversation,
    ...(reply.relatesTo ? { relatesTo: reply.relatesTo } : {}),
    ...(reply.channelId ? { channelId: reply.channelId } : {}),
    ...(reply.serviceUrl ? { serviceUrl: reply.serviceUrl } : {}),
  };
}

/** The handoff.status state for the service's handoff state. */
export function handoffStatusFor(state: HandoffState): HandoffStatusState {
  return handoffFailed(state) ? 'failed' : 'accepted';
}

/** The handoff.initiate activity, and the payload path of one of its fields (inside a page or not). */
function pickActivity(body: unknown): { a: Activity; at: (p: string) => string } {
  const page = objectOrUndefined(body);
  if (!page) throw invalidInput(LABEL, [{ path: '', message: 'body must be a JSON object (an activity)' }]);
  let candidate: unknown = page;
  let prefix = '';
  if (Array.isArray(page.activities)) {
    const index = page.activities.findIndex(
      (a: unknown) =>
        objectOrUndefined(a)?.type === 'event' && objectOrUndefined(a)?.name === 'handoff.initiate',
    );
    if (index < 0) {
      throw invalidInput(LABEL, [
        { path: 'activities', message: 'no event activity named handoff.initiate' },
      ]);
    }
    candidate = page.activities[index];
    prefix = `activities.${index}`;
  }
  const parsed = activitySchema.safeParse(candidate);
  if (!parsed.success) throw invalidInput(LABEL, zodProblems(parsed.error, prefix));
  const a = parsed.data;
  const at = (p: string) => (prefix ? `${prefix}.${p}` : p);
  if (a.type === 'handoff') {
    throw invalidInput(LABEL, [
      {
        path: at('type'),
        message: 'a "handoff" activity is intra-bot (Activity spec A6200); send the handoff.initiate event',
      },
    ]);
  }
  const problems: FieldProblem[] = [];
  if (a.type !== 'event') problems.push({ path: at('type'), message: 'must be "event"' });
  if (a.name !== 'handoff.initiate')
    problems.push({ path: at('name'), message: 'must be "handoff.initiate"' });
  if (a.value !== undefined && a.value !== null && !objectOrUndefined(a.value)) {
    problems.push({ path: at('value'), message: 'must be an object (the hand-off context)' });
  }
  if (problems.length > 0) throw invalidInput(LABEL, problems);
  return { a, at };
}

function transcriptActivities(a: Activity): { items: unknown[]; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const index = (a.attachments ?? []).findIndex(
    (x) => x.name?.toLowerCase() === 'transcript' || objectOrUndefined(x.content)?.activities !== undefined,
  );
  const attachment = index >= 0 ? a.attachments?.[index] : undefined;
  if (!attachment) return { items: [], problems };
  let content = attachment.content;
  if (typeof content === 'string') {
    try {
      content = JSON.parse(content) as unknown;
    } catch {
      problems.push({ path: `attachments.${index}.content`, message: 'must be JSON ({activities: [...]})' });
      return { items: [], problems };
    }
  }
  const activities = objectOrUndefined(content)?.activities;
  if (!Array.isArray(activities)) {
    problems.push({
      path: `attachments.${index}.content.activities`,
      message: 'must be an array of activities',
    });
    return { items: [], problems };
  }
  return { items: activities, problems };
}

function stringArray(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  if (typeof v === 'string' && v.length > 0) return [v];
  return [];
}

/** The canonical handoff for a handoff.initiate event, and what the answer needs. */
export function botFrameworkToHandoff(
  body: unknown,
  options: { mapping: AdapterMapping; receivedAt: Date },
): { input: HandoffRequestInput; reply: BotFrameworkReplyContext } {
  const { a, at } = pickActivity(body);
  const value = objectOrUndefined(a.value) ?? {};
  const received = options.receivedAt.toISOString();
  const eventAt = isoTime(a.timestamp) ?? received;

  const { items, problems } = transcriptActivities(a);
  if (problems.length > 0) throw invalidInput(LABEL, problems);
  const botId = a.relatesTo?.bot?.id ?? a.from?.id;
  const userId = a.relatesTo?.user?.id;
  const transcript: ReturnType<typeof turns> = [];
  let locale: string | undefined;
  items.forEach((item, i) => {
    const parsed = transcriptActivitySchema.safeParse(item);
    if (!parsed.success) {
      problems.push(...zodProblems(parsed.error, `attachments.transcript.activities.${i}`));
      return;
    }
    const t = parsed.data;
    if ((t.type ?? 'message') !== 'message' || typeof t.text !== 'string') return;
    const role = t.from?.role?.toLowerCase();
    const isBot =
      role === 'bot' ||
      (role === undefined && t.from?.id !== undefined && t.from.id === botId && t.from.id !== userId);
    if (!isBot) locale ??= t.locale;
    transcript.push(...turns(isoTime(t.timestamp) ?? eventAt, isBot ? 'bot' : 'customer', t.text));
  });
  if (problems.length > 0) throw invalidInput(LABEL, problems);

  // Both documented spellings: va_LastPhrases (variable table) and va_LastPhrase (sample payload).
  const lastPhrases = [...stringArray(value.va_LastPhrases), ...stringArray(value.va_LastPhrase)];
  const phrases = stringArray(value.va_Phrases);
  if (transcript.length === 0) {
    // No transcript attachment: the phrases are what the customer said.
    const said = phrases.length > 0 ? phrases : lastPhrases;
    for (const p of said) transcript.push(...turns(eventAt, 'customer', p));
  }

  const topics = stringArray(value.va_Topics)
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
  const lastTopic =
    typeof value.va_LastTopic === 'string' && value.va_LastTopic.trim() !== ''
      ? value.va_LastTopic.trim()
      : undefined;
  if (lastTopic && topics[topics.length - 1] !== lastTopic) topics.push(lastTopic);
  const history = topics.map((name, i) => ({
    name: name.slice(0, 255),
    outcome: isFallbackName(name)
      ? ('fallback' as const)
      : i === topics.length - 1
        ? ('escalated' as const)
        : ('in_progress' as const),
  }));

  const conversationId =
    a.conversation.id || (typeof value.va_ConversationId === 'string' ? value.va_ConversationId : '');
  const botName =
    (typeof value.va_BotName === 'string' && value.va_BotName !== '<REDACTED>'
      ? value.va_BotName
      : undefined) ??
    a.relatesTo?.bot?.name ??
    a.from?.name;
  const lastPhrase = lastPhrases[lastPhrases.length - 1];
  const detailParts = [
    lastTopic ? `Copilot Studio topic: ${lastTopic}` : 'Bot Framework handoff.initiate',
    lastPhrase ? `last phrase: "${lastPhrase}"` : undefined,
    typeof value.va_AgentMessage === 'string' ? `agent message: ${value.va_AgentMessage}` : undefined,
  ].filter((x): x is string => x !== undefined);

  const input = buildHandoffInput(
    {
      platform: 'bot_framework',
      label: LABEL,
      handoffId: stableHandoffId('bf', conversationId, a.id ?? a.timestamp ?? eventAt),
      ...(botName ? { botName } : {}),
      conversationId,
      conversationIdPath: at('conversation.id'),
      attributes: value,
      attributesPath: at('value'),
      history,
      transcript,
      ...(a.channelId ? { channelHint: a.channelId } : {}),
      languageHint:
        (typeof value.va_Language === 'string' ? value.va_Language : undefined) ?? a.locale ?? locale,
      defaultReason: guessReason(history),
      escalationDetail: detailParts.join('; '),
      receivedAt: options.receivedAt,
      consumed: Object.keys(value).filter((k) => k.startsWith('va_')),
    },
    options.mapping,
  );
  return {
    input,
    reply: {
      conversation: a.conversation,
      ...(a.relatesTo ? { relatesTo: a.relatesTo } : {}),
      ...(a.channelId ? { channelId: a.channelId } : {}),
      ...((a.serviceUrl ?? a.relatesTo?.serviceUrl)
        ? { serviceUrl: a.serviceUrl ?? a.relatesTo?.serviceUrl }
        : {}),
    },
  };
}

/** What the Bot Framework endpoint answers: the handoff, and the handoff.status event for the bot. */
export interface BotFrameworkAnswer {
  id: string;
  handoffId: string;
  status: HandoffState;
  statusUrl: string;
  caseId: string | null;
  caseNumber: string | null;
  activities: HandoffStatusActivity[];
}

export function botFrameworkAnswer(
  answer: HandoffAnswer,
  reply: BotFrameworkReplyContext,
): BotFrameworkAnswer {
  const state = handoffStatusFor(answer.status);
  return {
    id: answer.handoffId,
    handoffId: answer.handoffId,
    status: answer.status,
    statusUrl: answer.statusUrl,
    caseId: answer.caseId,
    caseNumber: answer.caseNumber,
    activities: [handoffStatusActivity(reply, state, customerMessage(answer.caseNumber, state === 'failed'))],
  };
}
