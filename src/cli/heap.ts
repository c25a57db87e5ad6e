/**
 * How far the process's JavaScript heap may grow between full collections (V8's heap growing
 * percent), set once by the entry points (`npm start`, `npm run dev`) from server.heapGrowingPercent.
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

/** Applies the percent (0: leave V8's own rule); returns what was done, for the start-up log. */
export function applyHeapGrowing(percent: number, env: HeapTuning): 'applied' | 'default' | 'explicit' {
  const execArgv = env.execArgv ?? process.execArgv;
  if (execArgv.some((a) => FLAG.test(a)) || FLAG.test(env.nodeOptions)) return 'explicit';
  if (percent <= 0) return 'default';
  (env.setFlags ?? setFlagsFromString)(`--heap-growing-percent=${Math.floor(percent)}`);
  return 'applied';
}
