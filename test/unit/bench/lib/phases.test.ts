import { describePhases, phasesOf, type PhaseStamps } from '../../../../bench/lib/phases';

/** Stamps for a handoff whose steps took these ms, with a 150 ms call. */
function stamps(before: number, accept: number, wait: number, after: number, at = 1000): PhaseStamps {
  const acceptBegin = at + before;
  const acceptEnd = acceptBegin + accept;
  const callStart = acceptEnd + wait;
  const callEnd = callStart + 150;
  return { request: at, acceptBegin, acceptEnd, callStart, callEnd, answered: callEnd + after };
}

describe('bench: a handoff’s own time by step', () => {
  it('splits request-to-answer less the call into four steps', () => {
    expect(phasesOf(stamps(1, 2, 3, 4))).toEqual({
      own: 10,
      parts: {
        'before the accept': 1,
        'the accept': 2,
        'waiting for its call': 3,
        'after its call': 4,
      },
    });
  });

  it('counts only the part of an accept before its call left, when the call leaves while it commits', () => {
    // accept begins at 1001 and commits at 1006; the call leaves at 1003 and is answered at 1153
    const early = {
      request: 1000,
      acceptBegin: 1001,
      acceptEnd: 1006,
      callStart: 1003,
      callEnd: 1153,
      answered: 1154,
    };
    expect(phasesOf(early)).toEqual({
      own: 4,
      parts: { 'before the accept': 1, 'the accept': 2, 'waiting for its call': 0, 'after its call': 1 },
    });
  });

  it('says null for a handoff missing a stamp or with stamps out of order', () => {
    const { callStart: _dropped, ...noCall } = stamps(1, 2, 3, 4);
    expect(phasesOf(noCall)).toBeNull();
    expect(phasesOf({ ...stamps(1, 2, 3, 4), acceptEnd: 900 })).toBeNull();
    expect(phasesOf({ ...stamps(1, 2, 3, 4), callStart: 1000 })).toBeNull(); // the call before the accept began
  });

  it('gives each step’s p50/p99 and, of the slow handoffs, which step was the largest', () => {
    const all: Record<string, PhaseStamps> = {
      a: stamps(1, 1, 1, 1),
      b: stamps(1, 12, 1, 1), // slow: the accept
      c: stamps(1, 1, 20, 1), // slow: waiting for its call
      d: stamps(1, 15, 1, 1), // slow: the accept
      e: stamps(1, 1, 1, 1),
      incomplete: { request: 5 },
    };
    const note = describePhases(all, ['a', 'b', 'c', 'd', 'e', 'incomplete', 'unknown']);
    expect(note).toBe(
      'own time inside the service by step (5 handoffs; request to answer, less the call): p50 15 / p99 23 ms; ' +
        'before the accept p50 1 / p99 1 ms; the accept p50 1 / p99 15 ms; waiting for its call p50 1 / p99 20 ms; ' +
        'after its call p50 1 / p99 1 ms; of the 3 over 10 ms, the largest part was the accept in 2, waiting for its call in 1',
    );
  });

  it('says so when none is slow, and null when no handoff has every stamp', () => {
    expect(describePhases({ a: stamps(1, 1, 1, 1) }, ['a'])).toMatch(/; none over 10 ms$/);
    expect(describePhases({ a: { request: 1 } }, ['a'])).toBeNull();
    expect(describePhases({}, [])).toBeNull();
  });
});
