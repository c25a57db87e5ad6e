import { salesforceDeliveryFunctions } from '../../../src/delivery/salesforce-wiring';
import type { CompositeGraph } from '../../../src/plan';
import { defaultMapping } from '../../../src/plan';
import { SalesforceError, type SalesforceClient } from '../../../src/salesforce';
import { IDS, prepared } from '../plan/prepared-fixture';

/** A client whose composite calls fail (transiently) after recording what they carried. */
function client(resolveIds: () => Promise<typeof IDS>) {
  const sent: CompositeGraph[][] = [];
  const lookups = { n: 0 };
  const c: SalesforceClient = {
    apiVersion: '63.0',
    login: () => Promise.resolve(),
    sendGraphs: (graphs) => {
      sent.push(graphs);
      return Promise.reject(
        Object.assign(
          new SalesforceError({ code: 'SALESFORCE_UNREACHABLE', message: 'down', retry: 'transient' }),
          {
            apiCalls: 0,
          },
        ),
      );
    },
    query: () => Promise.resolve([]),
    resolveIds: () => {
      lookups.n += 1;
      return resolveIds();
    },
    calls: () => ({ api: sent.length, token: 0 }),
    connection: () => {
      throw new Error('not used');
    },
  };
  return { c, sent, lookups };
}

describe('the Salesforce delivery wiring', () => {
  it('asks the org for its ids once per batch, also when that fails', async () => {
    const { c, sent, lookups } = client(() =>
      Promise.reject(
        new SalesforceError({ code: 'SALESFORCE_UNREACHABLE', message: 'down', retry: 'transient' }),
      ),
    );
    const fns = salesforceDeliveryFunctions(c, defaultMapping());
    const out = await fns.deliver([prepared(), prepared()]);
    expect(out.map((o) => o.kind)).toEqual(['failed', 'failed']);
    expect(lookups.n).toBe(1);
    expect(sent).toHaveLength(0);
  });

  it('sizes a handoff by the graph it then sends, once the org’s ids are known', async () => {
    const { c, sent } = client(() => Promise.resolve(IDS));
    const fns = salesforceDeliveryFunctions(c, defaultMapping());
    await fns.deliver([prepared()]); // learns the ids
    const p = prepared();
    const cost = fns.cost(p);
    await fns.deliver([p]);
    expect(sent[1]?.[0]?.compositeRequest).toHaveLength(cost);
  });
});
