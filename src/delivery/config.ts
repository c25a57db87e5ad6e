/**
 * Every knob of durable delivery, with defaults. src/config parses the service configuration with
 * this schema (it is the only reader of the environment); delivery only ever receives the parsed
 * object.
 */
import { z } from 'zod';

const ms = (def: number) => z.number().int().min(0).default(def);

/** The most composite calls one instance may have in flight (`concurrency`). */
export const MAX_CONCURRENCY = 64;

export const storeConfigSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('sqlite'),
      /** A file path (WAL journal), or ':memory:' for tests. */
      path: z.string().min(1).default('.local/handoffs.db'),
      /**
       * true: the store runs on a thread of its own, so a slow fsync never stops the request thread.
       * false: on the request thread, which saves two thread wake-ups per accept (their tail is what a
       * small, busy host adds) at the cost of stopping every request for each commit's fsync; for
       * hosts whose disk syncs in well under a millisecond. See docs/operations.md.
       */
      thread: z.boolean().default(true),
      /**
       * false (the default): this service process is the only one accepting into the file (a lock
       * beside it, `<path>.lock`, refuses a second): it tells a new handoff id from a known one
       * itself, and sends a new handoff to Salesforce while its accept commits. true: several
       * processes accept into the file (every one of them must say so); each accept then commits
       * before its handoff is sent. See docs/operations.md.
       */
      shared: z.boolean().default(false),
      /**
       * WAL pages (4 KB) after which a commit also checkpoints the WAL into the database file; that
       * commit waits for it. Smaller: shorter, more frequent waits. Default DEFAULT_CHECKPOINT_PAGES
       * (100). See docs/operations.md.
       */
      checkpointPages: z.number().int().min(1).max(100_000).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('postgres'),
      connectionString: z.string().min(1),
      /** Schema holding the tables; created on start. Several service instances share one. */
      schema: z
        .string()
        .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case letters, digits and _ only')
        .default('fsc_handoff'),
      poolSize: z.number().int().min(1).max(100).default(10),
    })
    .strict(),
]);

/** A store section without `kind` is SQLite's (HANDOFF_STORE_THREAD alone, say, sets only `thread`). */
function sqliteUnlessKind(v: unknown): unknown {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !('kind' in v)
    ? { kind: 'sqlite', ...v }
    : v;
}

export const deliveryConfigSchema = z
  .object({
    store: z
      .preprocess(sqliteUnlessKind, storeConfigSchema)
      .default({ kind: 'sqlite', path: '.local/handoffs.db', thread: true, shared: false }),
    /** Identifies this instance in claims (claimed_by); a random suffix is added when absent. */
    workerId: z.string().min(1).max(120).optional(),
    /** How long submit() waits for delivery before answering 202 with a status URL. */
    latencyBudgetMs: ms(2500),
    /** At most this many handoffs in one deliver() call (one composite request; Salesforce: 75 graphs). */
    maxBatchSize: z.number().int().min(1).max(75).default(75),
    /**
     * After a handoff arrives, the worker looks at what to send this much later (0: on the next turn
     * of the event loop, which already gathers everything accepted in the same store commit).
     */
    gatherWindowMs: z.number().int().min(0).max(50).default(0),
    /**
     * Coalescing by arrival rate: queued handoffs are held for a fuller call only when, at the rate of
     * the last maxHoldMs, the call would fill within about that long again; the oldest waits at most
     * this long. A lone handoff or a steady stream too slow to fill a call that fast is never held.
     * 0 turns holding off.
     */
    maxHoldMs: z.number().int().min(0).max(1_000).default(30),
    /**
     * While more handoffs are on their way (another is being accepted), calls with room to spare
     * (partial) in flight before another has to wait for one of them to answer: at most maxHoldMs
     * (a bound on the wait, not a cap on calls: beyond these, at most one more partial call per
     * maxHoldMs). While the service is saturated (saturatedLoad) one only, and the wait is up to
     * maxPartialHoldMs. A handoff that arrives while nothing else is being accepted is not held.
     */
    maxPartialCalls: z.number().int().min(1).max(MAX_CONCURRENCY).default(4),
    maxPartialHoldMs: z.number().int().min(0).max(5_000).default(1_000),
    /**
     * Event-loop utilization (0..1) at which the service counts as saturated (requests are queueing):
     * reached over the last ~250 ms and over the last ~20 ms alike for the saturation rule's holds
     * (~100 ms for stopping early sends; the worker's eventLoopLoad).
     */
    saturatedLoad: z.number().min(0.1).max(1).default(0.8),
    /** How often the worker looks for due retries and expired leases when nothing else wakes it. */
    pollIntervalMs: z.number().int().min(10).default(500),
    /**
     * Composite calls in flight at once per instance. Salesforce limits an org to 25 concurrent
     * requests that run 20 s or longer (shared by every integration); calls that answer in a few
     * hundred ms do not count, and slowConcurrency takes over when calls get slow. 64: handoffs
     * that arrive one at a time go out in calls of their own (see maxPartialCalls), and 200/s at a
     * 300 ms round trip needs 60 calls in flight.
     */
    concurrency: z.number().int().min(1).max(MAX_CONCURRENCY).default(64),
    /** A call in flight longer than this means the org is slow… */
    slowCallMs: z.number().int().min(100).default(5_000),
    /** …and then new calls start only while fewer than this many are in flight. */
    slowConcurrency: z.number().int().min(1).max(25).default(4),
    /**
     * Handoffs this instance accepts already claimed and keeps in memory until a call has room for
     * them; beyond this many, new handoffs are stored unclaimed and taken from the store later.
     */
    maxQueued: z.number().int().min(0).max(10_000).default(300),
    /** A claim is held this long; renewed while the batch is in flight; reclaimed when it lapses. */
    leaseMs: z.number().int().min(500).default(60_000),
    retry: z
      .object({
        /** Full-jitter exponential backoff: delay = random(0, min(maxDelayMs, baseDelayMs · 2^(n−1))). */
        baseDelayMs: ms(1_000),
        maxDelayMs: ms(5 * 60_000),
        /** REQUEST_LIMIT_EXCEEDED: wait at least this long (plus jitter of the same size). */
        rateLimitedDelayMs: ms(5 * 60_000),
        /** After this many attempts a transient failure dead-letters. */
        maxAttempts: z.number().int().min(1).default(25),
        /** …or when the handoff is older than this. */
        maxAgeMs: ms(24 * 60 * 60_000),
        /**
         * Look in Salesforce (findDelivered, one query per batch) before re-sending after ANY
         * non-permanent failure, not only after unknown outcomes: a 5xx or a dropped connection on the
         * composite call can come after the org committed, and the PendingServiceRouting insert is the
         * one write that is not an idempotent upsert. Costs one query per retried batch.
         */
        verifyBeforeEveryRetry: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    breaker: z
      .object({
        /** Consecutive failed batches (transient, rate-limited, unknown) that open the circuit. */
        failureThreshold: z.number().int().min(1).default(5),
        /** Open → half-open after this long; doubles on each failed probe up to maxCooldownMs. */
        cooldownMs: ms(15_000),
        maxCooldownMs: ms(5 * 60_000),
      })
      .strict()
      .prefault({}),
    agentPoll: z
      .object({
        enabled: z.boolean().default(true),
        intervalMs: z.number().int().min(100).default(5_000),
        /** Routed handoffs per AgentWork query (one SOQL query per batch). */
        batchSize: z.number().int().min(1).max(200).default(100),
        /** Stop asking about a routed handoff this long after delivery (closed without an agent). */
        maxAgeMs: ms(24 * 60 * 60_000),
      })
      .strict()
      .prefault({}),
    callbacks: z
      .object({
        /** HS256 secret (≥ 32 bytes) or an RS256 PKCS#8 PEM private key; no callbacks without one. */
        signing: z
          .discriminatedUnion('alg', [
            z.object({ alg: z.literal('HS256'), secret: z.string().min(32) }).strict(),
            z
              .object({
                alg: z.literal('RS256'),
                privateKeyPem: z.string().min(1),
                kid: z.string().optional(),
              })
              .strict(),
          ])
          .optional(),
        issuer: z.string().default('fsc-handoff'),
        tokenTtlSeconds: z.number().int().min(10).default(300),
        maxAttempts: z.number().int().min(1).max(10).default(4),
        baseDelayMs: ms(500),
        timeoutMs: ms(5_000),
        /** Allow callbacks to loopback, link-local and cloud metadata addresses (local dev and tests only). */
        allowInternalHosts: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** Graceful shutdown: in-flight batches get this long to finish before the rest is released. */
    shutdownTimeoutMs: ms(10_000),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.retry.maxDelayMs < c.retry.baseDelayMs) {
      ctx.addIssue({ code: 'custom', path: ['retry', 'maxDelayMs'], message: 'must be ≥ retry.baseDelayMs' });
    }
    if (c.breaker.maxCooldownMs < c.breaker.cooldownMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['breaker', 'maxCooldownMs'],
        message: 'must be ≥ breaker.cooldownMs',
      });
    }
  });

export type DeliveryConfig = z.output<typeof deliveryConfigSchema>;
export type DeliveryConfigInput = z.input<typeof deliveryConfigSchema>;
export type StoreConfig = z.output<typeof storeConfigSchema>;
