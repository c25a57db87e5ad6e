/**
 * Three settings of V8's garbage collector, applied by the entry points (`npm start`, `npm run dev`)
 * from the server configuration before the service starts.
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
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

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

/**
 * ## Headroom between full collections (server.heapHeadroomMb)
 *
 * With a small live heap, a percentage is little room: 25 % of the ~30 MB a service holds at 200
 * handoffs/s is ~8 MB, which the handoffs promoted out of the young generation fill in about a second.
 * Each full collection then stalled the request thread three times for 15-20 ms within ~60 ms
 * (marking steps, the final pause, and V8's helper threads taking the two cores), and every handoff
 * caught in them answered that much later: at 200/s, the larger part of the service's p99
 * (docs/benchmarks.md). So the next full collection is due when the old generation has grown by the
 * larger of heapGrowingPercent and heapHeadroomMb (at most 300 %): after each full collection the
 * percent is set from the old generation then in use. V8 has sized the next limit inside the
 * collection, so the new percent applies from the collection after; while the heap is growing fast
 * (a backlog building up) that would overshoot, so the percent alone applies then. A small, steady
 * heap gets the headroom (fewer full collections, at most that many MB more RSS); a large or growing
 * one, as under an outage backlog, grows by the percent only, so the peak stays near the live data.
 */
export function headroomPercent(liveBytes: number, headroomMb: number, percent: number): number {
  if (headroomMb <= 0 || liveBytes <= 0) return percent;
  const forHeadroom = Math.ceil((headroomMb * 1024 * 1024 * 100) / liveBytes);
  return Math.min(MAX_GROWING_PERCENT, Math.max(percent, forHeadroom));
}

/** The most the headroom may ask of V8 (as the configuration's own bound). */
const MAX_GROWING_PERCENT = 300;
/** Growth between two full collections beyond which the heap counts as taking on data. */
const GROWING = 1.2;

export interface HeadroomKeeper {
  /** The percent set last (heapGrowingPercent until the first full collection). */
  readonly percent: number;
  stop(): void;
}

/** The old generation in use: what V8 sizes the next full collection from (the young one excluded). */
function oldGenerationUsed(): number {
  let used = 0;
  for (const space of getHeapSpaceStatistics()) {
    if (space.space_name !== 'new_space' && space.space_name !== 'new_large_object_space')
      used += space.space_used_size;
  }
  return used;
}

/**
 * Resets the growing percent after every full collection from the old generation then in use (its
 * live data and what was promoted since, close to live right after). Only where heapGrowingPercent
 * was applied.
 */
export function keepHeapHeadroom(
  percent: number,
  headroomMb: number,
  env: Pick<HeapTuning, 'setFlags'> & { usedHeap?: () => number } = {},
): HeadroomKeeper {
  const setFlags = env.setFlags ?? setFlagsFromString;
  const usedHeap = env.usedHeap ?? oldGenerationUsed;
  let current = percent;
  let lastUsed = 0;
  const afterFullCollection = (): void => {
    const used = usedHeap();
    // A heap that grew by a fifth since the last full collection is taking on data (an outage
    // backlog): the percent set now applies from the next collection, when it holds more, so room
    // sized from today's heap would overshoot. Headroom only while the heap holds steady.
    const growing = lastUsed > 0 && used > lastUsed * GROWING;
    lastUsed = used;
    const next = growing ? percent : headroomPercent(used, headroomMb, percent);
    if (next === current) return;
    current = next;
    setFlags(`--heap-growing-percent=${next}`);
  };
  const observer = new PerformanceObserver((list) => {
    const major = list
      .getEntries()
      .some(
        (e) => (e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR,
      );
    if (major) afterFullCollection();
  });
  if (headroomMb > 0) observer.observe({ entryTypes: ['gc'] });
  return {
    get percent() {
      return current;
    },
    stop: () => observer.disconnect(),
  };
}

/** The three settings, as the entry points apply them; what was done with each, for the start-up log. */
export function applyGcSettings(
  server: { heapGrowingPercent: number; heapHeadroomMb: number; allocationSitePretenuring: boolean },
  env: HeapTuning & { keepHeadroom?: typeof keepHeapHeadroom },
): Record<string, string | number | boolean> {
  const heapGrowing = applyHeapGrowing(server.heapGrowingPercent, env);
  const headroom = heapGrowing === 'applied' && server.heapHeadroomMb > 0;
  if (headroom) (env.keepHeadroom ?? keepHeapHeadroom)(server.heapGrowingPercent, server.heapHeadroomMb, env);
  return {
    heapGrowingPercent: server.heapGrowingPercent,
    heapGrowing,
    heapHeadroomMb: headroom ? server.heapHeadroomMb : 0,
    allocationSitePretenuring: server.allocationSitePretenuring,
    pretenuring: applyPretenuring(server.allocationSitePretenuring, env),
  };
}
