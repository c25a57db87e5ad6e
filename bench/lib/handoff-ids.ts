/**
 * The handoffIds an outgoing Salesforce request names (composite graph nodes upsert by
 * Handoff_Id__c), found in the body chunks as they are written, for the timing preload
 * (bench/trace-preload.ts). The body is read in place and never kept: a 31-graph call's body is
 * ~0.5 MB, and a copy of every body in flight would be the preload's own memory, charged to the
 * service it measures. An id cut between two chunks is found in the seam between them.
 */
const MARK = 'Handoff_Id__c/';
/** An id as the service writes it in a URL: encodeURIComponent'd (`:` arrives as `%3A`). */
const ID = '[A-Za-z0-9._:%-]';
/** In a URL the id may end the text. */
const IN_URL = new RegExp(`Handoff_Id__c\\/(${ID}+)`, 'g');
/** In a seam only an id that ends inside it counts (the next seam has the rest of a cut one). */
const IN_SEAM = new RegExp(`Handoff_Id__c\\/(${ID}+)(?=[^A-Za-z0-9._:%-])`, 'g');
/** Longer than the mark and any id: what is kept of a chunk's end to find a cut id. */
export const SEAM = 256;

const isIdByte = (b: number): boolean =>
  (b >= 48 && b <= 57) ||
  (b >= 65 && b <= 90) ||
  (b >= 97 && b <= 122) ||
  b === 46 ||
  b === 37 ||
  b === 95 ||
  b === 58 ||
  b === 45;

/** The id decoded, as a copy that does not point into a larger string (a slice would keep the whole text alive). */
function decoded(raw: string): string {
  let id = raw;
  try {
    id = decodeURIComponent(raw);
  } catch {
    // not percent-encoded after all: the raw text is the id
  }
  return Buffer.from(id, 'utf8').toString('utf8');
}

export class HandoffIdScanner {
  readonly ids = new Set<string>();
  /** The end of the previous chunk (latin1: the mark and ids are ASCII). */
  private tail = '';

  /** A body chunk as written (a string is read as UTF-8). */
  chunk(chunk: Buffer | string): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (buf.length === 0) return;
    let i = buf.indexOf(MARK);
    while (i >= 0) {
      let j = i + MARK.length;
      while (j < buf.length && isIdByte(buf[j] as number)) j++;
      // An id running into the chunk's end is left to the seam.
      if (j < buf.length && j > i + MARK.length)
        this.ids.add(decoded(buf.toString('latin1', i + MARK.length, j)));
      i = buf.indexOf(MARK, j);
    }
    const seam = this.tail + buf.toString('latin1', 0, Math.min(buf.length, SEAM));
    if (this.tail !== '') this.scan(seam, IN_SEAM);
    // A chunk shorter than the seam keeps part of the one before it.
    this.tail = buf.length >= SEAM ? buf.toString('latin1', buf.length - SEAM) : seam.slice(-SEAM);
  }

  /** The request's path. */
  url(path: string): void {
    this.scan(path, IN_URL);
  }

  private scan(text: string, re: RegExp): void {
    for (const m of text.matchAll(re)) if (m[1]) this.ids.add(decoded(m[1]));
  }
}
