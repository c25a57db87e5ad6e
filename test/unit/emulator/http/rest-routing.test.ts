import type { DmlOptions, OrgApi } from '../../../../src/emulator/org/types';
import { SalesforceApiError } from '../../../../src/emulator/org/types';
import { QueryCursors } from '../../../../src/emulator/http/query-cursors';
import { RestApi, type RestRequest } from '../../../../src/emulator/http/rest';
import { createRng } from '../../../../src/emulator/http/util';

/** A tiny fake org that records the DML options it is given (routing logic only). */
function fakeOrg(): { org: OrgApi; calls: { op: string; sobject: string; options?: DmlOptions }[] } {
  const calls: { op: string; sobject: string; options?: DmlOptions }[] = [];
  const describe = (name: string): ReturnType<OrgApi['describe']> => {
    if (name.toLowerCase() !== 'case')
      throw new SalesforceApiError(404, [{ errorCode: 'NOT_FOUND', message: 'x' }]);
    return {
      name: 'Case',
      label: 'Case',
      labelPlural: 'Cases',
      keyPrefix: '500',
      custom: false,
      createable: true,
      updateable: true,
      deletable: true,
      queryable: true,
      fields: [],
      childRelationships: [],
    };
  };
  let n = 0;
  const org: OrgApi = {
    describeGlobal: () => ({ encoding: 'UTF-8', maxBatchSize: 200, sobjects: [] }),
    describe,
    create: (sobject, _f, options) => {
      calls.push({ op: 'create', sobject, ...(options ? { options } : {}) });
      return { id: `500000000000${String(++n).padStart(3, '0')}AAA` };
    },
    retrieve: (sobject, id) => ({ Id: id, sobject }),
    update: (sobject, _id, _f, options) => {
      calls.push({ op: 'update', sobject, ...(options ? { options } : {}) });
    },
    upsert: (sobject, _f, _v, _fields, options) => {
      calls.push({ op: 'upsert', sobject, ...(options ? { options } : {}) });
      return { id: '500000000000999AAA', created: true };
    },
    delete: () => undefined,
    query: () => ({ totalSize: 0, done: true, records: [] }),
    transaction: (fn) => fn(),
    onChange: () => () => undefined,
    list: () => [],
    reset: () => undefined,
    snapshot: () => ({}),
    restore: () => undefined,
  };
  return { org, calls };
}

function req(partial: Partial<RestRequest>): RestRequest {
  return {
    method: 'GET',
    version: '63.0',
    segments: [],
    query: new URLSearchParams(),
    headers: {},
    body: undefined,
    userId: '005000000000001AAA',
    ...partial,
  };
}

describe('RestApi routing with a fake org', () => {
  it('passes Sforce-Auto-Assign to DML (FALSE disables assignment rules; absent means default)', () => {
    const { org, calls } = fakeOrg();
    const api = new RestApi({
      org,
      cursors: new QueryCursors(),
      versions: ['63.0'],
      limits: () => ({}),
      rng: createRng(1),
    });
    api.handle(
      req({
        method: 'POST',
        segments: ['sobjects', 'Case'],
        body: { Subject: 'a' },
        headers: { 'sforce-auto-assign': 'FALSE' },
      }),
    );
    api.handle(
      req({
        method: 'PATCH',
        segments: ['sobjects', 'Case', '500000000000001AAA'],
        body: {},
        headers: { 'sforce-auto-assign': 'TRUE' },
      }),
    );
    api.handle(
      req({
        method: 'PATCH',
        segments: ['sobjects', 'Case', 'Handoff_Id__c', 'x'],
        body: {},
        headers: { 'sforce-auto-assign': '01Q000000000001' },
      }),
    );
    api.handle(req({ method: 'POST', segments: ['sobjects', 'Case'], body: { Subject: 'b' } }));
    expect(calls.map((c) => [c.op, c.options?.autoAssign])).toEqual([
      ['create', false],
      ['update', true],
      ['upsert', true],
      ['create', undefined],
    ]);
  });

  it('passes a subrequest Sforce-Auto-Assign header through composite', () => {
    const { org, calls } = fakeOrg();
    const api = new RestApi({
      org,
      cursors: new QueryCursors(),
      versions: ['63.0'],
      limits: () => ({}),
      rng: createRng(1),
    });
    const res = api.handle(
      req({
        method: 'POST',
        segments: ['composite'],
        body: {
          compositeRequest: [
            {
              method: 'POST',
              url: '/services/data/v63.0/sobjects/Case',
              referenceId: 'c',
              body: { Subject: 'x' },
              httpHeaders: { 'Sforce-Auto-Assign': 'FALSE' },
            },
          ],
        },
      }),
    );
    expect(res.status).toBe(200);
    expect(calls).toEqual([{ op: 'create', sobject: 'Case', options: { autoAssign: false } }]);
  });

  it('maps SalesforceApiError to its status and body, and anything else to 500 UNKNOWN_EXCEPTION', () => {
    const { org } = fakeOrg();
    org.retrieve = () => {
      throw new Error('boom');
    };
    const api = new RestApi({
      org,
      cursors: new QueryCursors(),
      versions: ['63.0'],
      limits: () => ({}),
      rng: createRng(1),
    });
    const notFound = api.handle(req({ segments: ['sobjects', 'Nope'] }));
    expect(notFound).toEqual({ status: 404, body: [{ errorCode: 'NOT_FOUND', message: 'x' }] });
    const boom = api.handle(req({ segments: ['sobjects', 'Case', '500000000000001AAA'] }));
    expect(boom.status).toBe(500);
    expect((boom.body as { errorCode: string }[])[0]!.errorCode).toBe('UNKNOWN_EXCEPTION');
  });
});
