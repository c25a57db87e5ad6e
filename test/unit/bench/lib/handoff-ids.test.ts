import { HandoffIdScanner, SEAM } from '../../../../bench/lib/handoff-ids';

const ids = ['bench-7f3a-1', 'bench-7f3a-12', 'h:u-x', 'A.b_c-9'];
const body = JSON.stringify({
  graphs: ids.map((id, i) => ({
    graphId: `g${i}`,
    compositeRequest: [
      // as src/plan/graph.ts writes it: encodeURIComponent'd
      {
        method: 'PATCH',
        url: `/services/data/v63.0/sobjects/Bot_Handoff__c/Handoff_Id__c/${encodeURIComponent(id)}`,
        body: {},
      },
      { method: 'POST', url: '/services/data/v63.0/sobjects/Case', body: { Subject: 'Ünïcode ✓' } },
    ],
  })),
});

describe('HandoffIdScanner', () => {
  it('finds every id in a body written as one chunk, a string or a Buffer', () => {
    for (const chunk of [body, Buffer.from(body, 'utf8')]) {
      const s = new HandoffIdScanner();
      s.chunk(chunk);
      expect([...s.ids].sort()).toEqual([...ids].sort());
    }
  });

  it('finds exactly the ids, whatever byte the body is cut at (no id lost, no cut-off prefix kept)', () => {
    const bytes = Buffer.from(body, 'utf8');
    for (let cut = 0; cut <= bytes.length; cut++) {
      const s = new HandoffIdScanner();
      s.chunk(bytes.subarray(0, cut));
      s.chunk(bytes.subarray(cut));
      expect([...s.ids].sort()).toEqual([...ids].sort());
    }
  });

  it('finds an id cut across three chunks smaller than the seam', () => {
    const bytes = Buffer.from(body, 'utf8');
    const at = bytes.indexOf('Handoff_Id__c/bench-7f3a-12');
    const s = new HandoffIdScanner();
    for (const [a, b] of [
      [0, at + 5],
      [at + 5, at + 20],
      [at + 20, bytes.length],
    ] as const)
      s.chunk(bytes.subarray(a, b));
    expect(s.ids.has('bench-7f3a-12')).toBe(true);
    expect(s.ids.has('bench-7f3a-1')).toBe(true);
    expect(SEAM).toBeGreaterThan('Handoff_Id__c/'.length + 80);
  });

  it('reads an id that ends a URL', () => {
    const s = new HandoffIdScanner();
    s.url('/services/data/v63.0/sobjects/Bot_Handoff__c/Handoff_Id__c/bench%3A1');
    expect([...s.ids]).toEqual(['bench:1']);
  });
});
