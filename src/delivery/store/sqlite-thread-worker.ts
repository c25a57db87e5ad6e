/**
 * The store's thread (see sqlite-thread.ts): owns the SqliteHandoffStore and answers each request
 * with its method's value (accepts arrive as rows: acceptValues). Requests arrive in batches (one
 * message per turn of the calling thread) and run in order; the store's own group commit gathers the
 * writes of one turn of this thread's event loop into one transaction; the replies that settle
 * together go back as one message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteHandoffStore } from './sqlite-store';
import type { ThreadReply, ThreadRequest } from './sqlite-thread';

const port = parentPort;
if (!port) throw new Error('sqlite-thread-worker runs as a worker thread');
const store = new SqliteHandoffStore(workerData as { path: string; checkpointPages?: number });

const METHODS = new Set<string>([
  'migrate',
  'acceptValues',
  'get',
  'claimBatch',
  'renewLease',
  'markDelivered',
  'markDeliveredMany',
  'markRetry',
  'markDeadLetter',
  'markAgentAssigned',
  'release',
  'requeue',
  'listByState',
  'listAwaitingAgent',
  'stats',
  'ping',
  'close',
]);

/** Replies of this turn, sent together once the turn's settlements have run. */
let replies: ThreadReply[] = [];
function reply(message: ThreadReply): void {
  if (replies.length === 0) queueMicrotask(flushReplies);
  replies.push(message);
}
function flushReplies(): void {
  const batch = replies;
  replies = [];
  port?.postMessage(batch);
}

port.on('message', (requests: ThreadRequest[]) => {
  for (const request of requests) handle(request);
});

function handle(request: ThreadRequest): void {
  const { id, method, args } = request;
  if (!METHODS.has(method)) {
    reply({ id, ok: false, error: { name: 'Error', message: `unknown store method ${method}` } });
    return;
  }
  const fn = (store as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method];
  let result: Promise<unknown>;
  try {
    result = (fn as (...a: unknown[]) => Promise<unknown>).apply(store, args);
  } catch (err) {
    result = Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
  result.then(
    (value) => reply({ id, ok: true, value }),
    (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      const code = (e as { code?: unknown }).code;
      reply({
        id,
        ok: false,
        error: { name: e.name, message: e.message, ...(typeof code === 'string' ? { code } : {}) },
      });
    },
  );
}
