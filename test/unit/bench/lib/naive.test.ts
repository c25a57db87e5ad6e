import {
  readPath,
  resolveRefs,
  UnresolvedReferenceError,
  writeGraphNaively,
  type NaiveTransport,
} from '../../../../bench/lib/naive';

describe('readPath', () => {
  it('reads fields and array indexes', () => {
    expect(readPath({ records: [{ Id: 'a' }, { Id: 'b' }] }, 'records[1].Id')).toBe('b');
    expect(readPath({ id: 'x' }, 'id')).toBe('x');
    expect(readPath({ id: 'x' }, 'Id')).toBeUndefined();
    expect(readPath(null, 'id')).toBeUndefined();
  });
});

describe('resolveRefs', () => {
  const results = new Map<string, unknown>([
    ['case', { id: '500000000000001AAA', created: true }],
    ['sr1get', { RelatedRecordId: '0JR000000000001AAA', Level: 3 }],
  ]);

  it('replaces a whole-string reference by the value, keeping its type', () => {
    expect(resolveRefs({ WorkItemId: '@{case.id}', L: '@{sr1get.Level}' }, results)).toEqual({
      WorkItemId: '500000000000001AAA',
      L: 3,
    });
  });

  it('splices references inside URLs and nested bodies', () => {
    expect(
      resolveRefs('/services/data/v63.0/sobjects/PendingServiceRouting/@{sr1get.RelatedRecordId}', results),
    ).toBe('/services/data/v63.0/sobjects/PendingServiceRouting/0JR000000000001AAA');
    expect(resolveRefs({ a: [{ b: 'x @{case.id} y' }], n: 1, t: true, z: null }, results)).toEqual({
      a: [{ b: 'x 500000000000001AAA y' }],
      n: 1,
      t: true,
      z: null,
    });
  });

  it('refuses a reference to a node that has not answered, or a missing field', () => {
    expect(() => resolveRefs('@{psr.id}', results)).toThrow(UnresolvedReferenceError);
    expect(() => resolveRefs('@{case.Id}', results)).toThrow('unresolved reference @{case.Id}');
  });
});

describe('writeGraphNaively', () => {
  const graph = {
    graphId: 'g1',
    compositeRequest: [
      {
        method: 'PATCH',
        url: '/services/data/v63.0/sobjects/Case/Handoff_Id__c/h1',
        referenceId: 'case',
        body: { Subject: 's' },
      },
      {
        method: 'POST',
        url: '/services/data/v63.0/sobjects/PendingServiceRouting',
        referenceId: 'psr',
        body: { WorkItemId: '@{case.id}' },
      },
      {
        method: 'GET',
        url: '/services/data/v63.0/sobjects/PendingServiceRouting/@{psr.id}',
        referenceId: 'psrget',
      },
    ],
  };

  it('sends one request per node, in order, with references resolved from earlier answers', async () => {
    const sent: { method: string; url: string; body: unknown }[] = [];
    const transport: NaiveTransport = {
      request: (method, url, body) => {
        sent.push({ method, url, body });
        const id = `id${sent.length}`;
        return Promise.resolve({ status: method === 'GET' ? 200 : 201, body: { id } });
      },
    };
    const r = await writeGraphNaively(graph, transport);
    expect(r).toEqual({ ok: true, calls: 3 });
    expect(sent.map((s) => s.method)).toEqual(['PATCH', 'POST', 'GET']);
    expect(sent[1]?.body).toEqual({ WorkItemId: 'id1' });
    expect(sent[2]?.url).toBe('/services/data/v63.0/sobjects/PendingServiceRouting/id2');
    expect(sent[2]?.body).toBeUndefined();
  });

  it('stops at the first failing node and says which', async () => {
    let calls = 0;
    const transport: NaiveTransport = {
      request: () => {
        calls++;
        return Promise.resolve(
          calls === 2
            ? { status: 400, body: [{ errorCode: 'REQUIRED_FIELD_MISSING', message: 'x' }] }
            : { status: 201, body: { id: 'a' } },
        );
      },
    };
    const r = await writeGraphNaively(graph, transport);
    expect(r.ok).toBe(false);
    expect(r.calls).toBe(2);
    expect(r.failure).toMatchObject({ referenceId: 'psr', status: 400 });
  });

  it('stops before the next node once the time is up', async () => {
    let calls = 0;
    const transport: NaiveTransport = {
      request: () => {
        calls++;
        return Promise.resolve({ status: 201, body: { id: `id${calls}` } });
      },
    };
    const r = await writeGraphNaively(graph, transport, () => calls >= 1);
    expect(r).toEqual({ ok: false, calls: 1, aborted: true });
  });
});
