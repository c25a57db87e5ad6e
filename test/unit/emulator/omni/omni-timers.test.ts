import type { OrgApi, RecordChange } from '../../../../src/emulator/org/types';
import { OmniSimulator } from '../../../../src/emulator/omni/omni';

function countingOrg(): { org: OrgApi; listCalls: () => number; emit: (c: RecordChange) => void } {
  let calls = 0;
  const listeners = new Set<(c: RecordChange) => void>();
  const org = {
    list: () => {
      calls++;
      return [];
    },
    onChange: (l: (c: RecordChange) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  } as unknown as OrgApi;
  return { org, listCalls: () => calls, emit: (c) => listeners.forEach((l) => l(c)) };
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('OmniSimulator timers', () => {
  it('re-evaluates on its timer while started and not at all after stop()', async () => {
    const { org, listCalls } = countingOrg();
    const omni = new OmniSimulator(org, { tickIntervalMs: 10, autoRoute: true });
    omni.start();
    await wait(60);
    expect(listCalls()).toBeGreaterThan(0);
    omni.stop();
    const after = listCalls();
    await wait(60);
    expect(listCalls()).toBe(after);
  });

  it('routes on change events only when autoRoute is on', async () => {
    const { org, listCalls, emit } = countingOrg();
    const manual = new OmniSimulator(org, { tickIntervalMs: 0, autoRoute: false });
    manual.start();
    emit({ kind: 'created', sobject: 'Case', id: '500', before: null, after: { Id: '500' } });
    await wait(20);
    expect(listCalls()).toBe(0);
    manual.settle();
    expect(listCalls()).toBeGreaterThan(0);
    manual.stop();
  });

  it('tracks presence by username or id and refuses unknown agents', () => {
    const { org } = countingOrg();
    const omni = new OmniSimulator(org, { tickIntervalMs: 0, autoRoute: false });
    omni.registerAgent({ userId: '005A', username: 'a@x.test', capacity: 2, online: false });
    expect(omni.setPresence('a@x.test', true)).toBe(true);
    expect(omni.agents()[0]).toMatchObject({ online: true, load: 0, capacity: 2 });
    expect(omni.setPresence('005A', false)).toBe(true);
    expect(omni.agents()[0]!.online).toBe(false);
    expect(omni.setPresence('nobody', true)).toBe(false);
  });
});
