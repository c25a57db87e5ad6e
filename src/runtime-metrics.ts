/**
 * The process's garbage collections as a Prometheus histogram, under the name and label that
 * prom-client's default metrics use (nodejs_gc_duration_seconds{kind}): how often V8 stops the
 * request thread to collect, and for how long. A full collection at the wrong moment is what a
 * handoff's tail latency is made of on a busy host (docs/operations.md, "Memory"); `npm run bench`
 * prints the scenario's share.
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { Histogram, type Registry } from 'prom-client';

const KINDS = new Map<number, string>([
  [constants.NODE_PERFORMANCE_GC_MINOR, 'minor'],
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'major'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weakcb'],
]);

/** Observes every collection into `registry` until the function returned is called. */
export function watchGarbageCollection(registry: Registry): () => void {
  const pauses = new Histogram({
    name: 'nodejs_gc_duration_seconds',
    help: 'Garbage collection pauses of the request thread, by kind (minor: young generation; major: the final pause of a full collection, not its marking steps; incremental: the start of marking)',
    labelNames: ['kind'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    registers: [registry],
  });
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      pauses.observe({ kind: (kind !== undefined && KINDS.get(kind)) || 'other' }, entry.duration / 1000);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}
