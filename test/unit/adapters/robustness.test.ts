/**
 * Malformed input never becomes a 500: every field of every fixture, replaced by a value of every
 * other JSON kind, either converts or is refused with an AppError 400 (never a TypeError).
 */
import {
  botFrameworkToHandoff,
  defaultMapping,
  dialogflowCxToHandoff,
  lexV2ToHandoff,
  rasaToHandoff,
} from '../../../src/adapters';
import { handoffRequestSchema } from '../../../src/contract/handoff';
import { isAppError } from '../../../src/errors';
import { fixture, RECEIVED_AT } from './fixtures';

const mapping = defaultMapping();
const options = { mapping, receivedAt: RECEIVED_AT };
const REPLACEMENTS: unknown[] = [null, 42, -1.5, 1e308, 'x', '', '\u0000', [], {}, true];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function paths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = prefix.length > 0 ? [prefix] : [];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  }
  return out;
}

function replaced(doc: Json, path: (string | number)[], value: unknown): Json {
  const copy = JSON.parse(JSON.stringify(doc)) as Json;
  let node = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = value;
  return copy;
}

describe.each([
  ['bot-framework/copilot-handoff-initiate.json', botFrameworkToHandoff],
  ['bot-framework/direct-line-page-last-phrase.json', botFrameworkToHandoff],
  ['dialogflow-cx/webhook-request-dispute.json', dialogflowCxToHandoff],
  ['lex-v2/event-confidence-number.json', lexV2ToHandoff],
  ['lex-v2/event-confidence-score-object.json', lexV2ToHandoff],
  ['rasa/action-request-handoff.json', rasaToHandoff],
])('%s with any one field replaced', (file, convert) => {
  it('converts to a valid canonical handoff or refuses with a 400 naming fields, never anything else', () => {
    const doc = fixture<Json>(file);
    const unexpected: string[] = [];
    let refused = 0;
    for (const path of paths(doc)) {
      for (const value of REPLACEMENTS) {
        try {
          const { input } = convert(replaced(doc, path, value), options);
          const valid = handoffRequestSchema.safeParse(input);
          if (!valid.success) {
            const issues = valid.error.issues.map((i) => i.path.join('.')).join(', ');
            unexpected.push(`${path.join('.')} = ${JSON.stringify(value)}: not canonical (${issues})`);
          }
        } catch (err) {
          if (isAppError(err) && err.status === 400 && err.errors.length > 0) refused += 1;
          else unexpected.push(`${path.join('.')} = ${JSON.stringify(value)}: ${String(err)}`);
        }
      }
    }
    expect(unexpected).toEqual([]);
    expect(refused).toBeGreaterThan(0);
  });
});
