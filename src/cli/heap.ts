/**
 * Two settings of V8's garbage collector, applied once by the entry points (`npm start`, `npm run
 * dev`) from the server configuration before the service starts.
 *
 * ## How far the heap may grow between full collections (server.heapGrowingPercent)
 *
 * Why: under a high accept rate almost every handoff outlives two young-generation collections
 * (it waits for its store commit and its answer) and is promoted, then dies. V8 sizes the next full
 * collection from the heap's growth rate, up to 4x the live data, so a service with ~30 MB live can
 * peak far above that with handoffs it has already answered. A fixed, smaller growth keeps the peak
 * near the live data; the price is more frequent (incremental, mostly concurrent) full collections.
 *
 * V8 reads the factor at every full collection, so setting it after start-up takes effect. A value
 * given on the command line or in NODE_OPTIONS wins (the operator said so explicitly).
 */
import { setFlagsFromString } from 'node:v8';

export interface HeapTuning {
  /** NODE_OPTIONS (src/config's nodeOptions()): a flag given there wins. */
  nodeOptions: string;
  execArgv?: readonly string[];
  setFlags?: (flags: string) => void;
}

const FLAG = /--heap[-_]growing[-_]percent\b/;

/** A flag given to node on its command line or in NODE_OPTIONS. */
function explicit(flag: RegExp, env: HeapTuning): boolean {
  const execArgv = env.execArgv ?? process.execArgv;
  return execArgv.some((a) => flag.test(a)) || flag.test(env.nodeOptions);
}

/** Applies the percent (0: leave V8's own rule); returns what was done, for the start-up log. */
export function applyHeapGrowing(percent: number, env: HeapTuning): 'applied' | 'default' | 'explicit' {
  if (explicit(FLAG, env)) return 'explicit';
  if (percent <= 0) return 'default';
  (env.setFlags ?? setFlagsFromString)(`--heap-growing-percent=${Math.floor(percent)}`);
  return 'applied';
}

/**
 * ## Allocation-site pretenuring (server.allocationSitePretenuring, off by default)
 *
 * V8 watches where objects are allocated, and when nearly all of one place's objects survive a
 * young-generation collection, it allocates that place's objects in the old generation from then
 * on. Here that decision is wrong: a handoff's objects survive one young collection because they
 * wait about one Salesforce round trip, and die soon after. Once a place is pretenured, its objects
 * die in the old generation, where only a full collection frees them, and until then they keep the
 * young objects they point to alive. Young collections copy and promote those too, so more places
 * look long-lived and are pretenured in turn. Measured at 200 handoffs/s: about 1.2 MB promoted per
 * young collection and a full collection every ~0.7 s with pretenuring; 0.45 MB and half as many full
 * collections without it (docs/benchmarks.md).
 *
 * V8 reads the flag when it collects, so turning it off at start-up, before the service has run,
 * takes effect. A setting given to node explicitly wins, as above.
 */
const PRETENURING_FLAG = /--(?:no-)?allocation[-_]site[-_]pretenuring\b/;

export function applyPretenuring(enabled: boolean, env: HeapTuning): 'applied' | 'default' | 'explicit' {
  if (explicit(PRETENURING_FLAG, env)) return 'explicit';
  if (enabled) return 'default';
  (env.setFlags ?? setFlagsFromString)('--no-allocation-site-pretenuring');
  return 'applied';
}

/** Both settings, as the entry points apply them; what was done with each, for the start-up log. */
export function applyGcSettings(
  server: { heapGrowingPercent: number; allocationSitePretenuring: boolean },
  env: HeapTuning,
): Record<string, string | number | boolean> {
  return {
    heapGrowingPercent: server.heapGrowingPercent,
    heapGrowing: applyHeapGrowing(server.heapGrowingPercent, env),
    allocationSitePretenuring: server.allocationSitePretenuring,
    pretenuring: applyPretenuring(server.allocationSitePretenuring, env),
  };
}
