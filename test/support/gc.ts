/**
 * For tests that prove something is not kept alive: a full garbage collection on demand, and a gate
 * to hold an answer open while they look.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

/** Runs a full collection (V8's gc(), exposed at run time for the test process). */
export function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

/** A promise that settles when `open()` is called. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}
