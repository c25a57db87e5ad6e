/**
 * Splits a transcript into parts for Handoff_Transcript__c.Body__c. Parts break at turn boundaries; a
 * single turn longer than a part is split inside the turn into consecutive pieces, each labelled, so
 * nothing is cut or dropped: joining the pieces gives back every character of every turn.
 */
import type { TranscriptTurn } from '../contract/handoff';

export interface TranscriptPart {
  /** 1-based. */
  partNumber: number;
  /** 1-based turn numbers covered (a split turn appears in several parts). */
  firstTurn: number;
  lastTurn: number;
  body: string;
}

/** One turn as a line: `2026-11-21T09:58:00Z customer: text`. */
export function renderTurn(turn: TranscriptTurn): string {
  return `${turn.at} ${turn.from}: ${turn.text}`;
}

function continuationHeader(turn: TranscriptTurn, piece: number, pieces: number): string {
  return `${turn.at} ${turn.from} (turn continues, piece ${piece}/${pieces}): `;
}

/** Splits an over-long turn into pieces, each with a header, each at most maxChars. */
function splitTurn(turn: TranscriptTurn, maxChars: number): string[] {
  // The header length depends on the number of pieces; iterate until stable (converges in ≤ 3 steps).
  let pieces = 1;
  for (;;) {
    const headerLen = continuationHeader(turn, pieces, pieces).length;
    const room = maxChars - headerLen;
    if (room < 1) throw new RangeError(`maxChars ${maxChars} is too small to hold a transcript piece`);
    const needed = Math.ceil(turn.text.length / room);
    if (needed <= pieces) break;
    pieces = needed;
  }
  const out: string[] = [];
  let offset = 0;
  for (let i = 1; i <= pieces; i += 1) {
    const header = continuationHeader(turn, i, pieces);
    const room = maxChars - header.length;
    let chunk = turn.text.slice(offset, offset + room);
    // Do not split a surrogate pair.
    const lastCode = chunk.charCodeAt(chunk.length - 1);
    if (chunk.length === room && lastCode >= 0xd800 && lastCode <= 0xdbff) chunk = chunk.slice(0, -1);
    out.push(header + chunk);
    offset += chunk.length;
  }
  if (offset < turn.text.length) {
    // Only reachable through surrogate back-offs: add one more piece rather than drop anything.
    out.push(continuationHeader(turn, pieces + 1, pieces + 1) + turn.text.slice(offset));
  }
  return out;
}

export function splitTranscript(turns: readonly TranscriptTurn[], maxChars: number): TranscriptPart[] {
  const parts: TranscriptPart[] = [];
  let lines: string[] = [];
  let length = 0;
  let first = 0;
  let last = 0;

  const flush = () => {
    if (lines.length === 0) return;
    parts.push({ partNumber: parts.length + 1, firstTurn: first, lastTurn: last, body: lines.join('\n') });
    lines = [];
    length = 0;
  };

  turns.forEach((turn, index) => {
    const n = index + 1;
    const line = renderTurn(turn);
    if (line.length > maxChars) {
      flush();
      for (const piece of splitTurn(turn, maxChars)) {
        parts.push({ partNumber: parts.length + 1, firstTurn: n, lastTurn: n, body: piece });
      }
      return;
    }
    const added = lines.length === 0 ? line.length : line.length + 1;
    if (length + added > maxChars) flush();
    if (lines.length === 0) first = n;
    lines.push(line);
    length += lines.length === 1 ? line.length : line.length + 1;
    last = n;
  });
  flush();
  return parts;
}
