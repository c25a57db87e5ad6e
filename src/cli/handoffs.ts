/**
 * The operator's dead-letter tool:
 *
 *   npm run handoffs -- list [--state dead_lettered] [--limit 50] [--json]
 *   npm run handoffs -- inspect <handoffId> [--full]
 *   npm run handoffs -- replay <handoffId…>
 *   npm run handoffs -- replay --all
 *   npm run handoffs -- stats
 *
 * It reads the same store configuration as the service (src/config: config/service.json and
 * HANDOFF_STORE_URL); `--store <sqlite path | postgres://…>` points it at a store directly.
 * Replay moves dead-lettered handoffs back to `failed`, due now: the running service delivers them
 * (and looks in Salesforce first where an earlier attempt may have written them).
 */
import { Command, InvalidArgumentError } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { loadConfig } from '../config';
import { HANDOFF_STATES } from '../contract/answer';
import type { HandoffState } from '../contract/answer';
import { deliveryConfigSchema } from '../delivery/config';
import type { StoreConfig } from '../delivery/config';
import { openHandoffStore } from '../delivery/store';
import type { HandoffStore, StoredHandoff } from '../delivery/store/types';

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Where the progress bar draws (stderr by default). */
  progressStream?: NodeJS.WritableStream;
  /** The store config when --store is not given (the service config). */
  loadStoreConfig?: () => StoreConfig;
  now?: () => number;
}

/** `--store` text → store config (the same forms HANDOFF_STORE_URL takes). */
export function parseStoreOption(text: string): StoreConfig {
  const raw = /^postgres(ql)?:\/\//i.test(text)
    ? { kind: 'postgres', connectionString: text }
    : { kind: 'sqlite', path: text.replace(/^(sqlite|file):(\/\/)?/i, '') };
  return deliveryConfigSchema.parse({ store: raw }).store;
}

function loadServiceStoreConfig(): StoreConfig {
  // src/config is the one reader of the environment and config/*.json.
  return loadConfig().delivery.store;
}

const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString());

function summary(r: StoredHandoff) {
  return {
    handoffId: r.handoffId,
    state: r.state,
    attempts: r.attempts,
    lastError: r.lastError,
    acceptedAt: iso(r.acceptedAt),
    updatedAt: iso(r.updatedAt),
    nextAttemptAt: r.state === 'failed' || r.state === 'accepted' ? iso(r.nextAttemptAt) : null,
    deliveredAt: r.deliveredAt === null ? null : iso(r.deliveredAt),
    deadLetteredAt: r.deadLetteredAt === null ? null : iso(r.deadLetteredAt),
    claimedBy: r.claimedBy,
    leaseUntil: r.leaseUntil === null ? null : iso(r.leaseUntil),
    verifyBeforeResend: r.verifyFirst,
    caseId: r.caseId,
    caseNumber: r.caseNumber,
    handoffRecordId: r.handoffRecordId,
    routing: r.routing,
    agent: r.agent,
    salesforceApiCalls: r.salesforceApiCalls,
    callbackUrl: r.callbackUrl ? r.callbackUrl.replace(/\?.*$/, '?…') : null,
    redactions: r.prepared.redactions,
  };
}

function table(rows: StoredHandoff[]): string {
  const cells = rows.map((r) => [
    r.handoffId,
    r.state,
    String(r.attempts),
    r.lastError?.code ?? '',
    iso(r.deadLetteredAt ?? r.updatedAt),
    (r.lastError?.message ?? '').slice(0, 80),
  ]);
  const head = ['HANDOFF ID', 'STATE', 'ATTEMPTS', 'ERROR', 'SINCE', 'MESSAGE'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), ...cells.map(line)].join('\n');
}

const positiveInt = (v: string) => {
  const n = Number.parseInt(v, 10);
  if (!/^\d+$/.test(v) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
};

const stateArg = (v: string): HandoffState => {
  if (!(HANDOFF_STATES as readonly string[]).includes(v)) {
    throw new InvalidArgumentError(`one of ${HANDOFF_STATES.join(', ')}`);
  }
  return v as HandoffState;
};

/** Runs the CLI; resolves with the exit code. */
export async function runHandoffsCli(argv: string[], io: CliIo): Promise<number> {
  const now = io.now ?? Date.now;
  let exitCode = 0;
  let store: HandoffStore | null = null;

  const program = new Command('handoffs')
    .description('List, inspect and replay handoffs in the durable delivery store')
    .option('--store <url>', 'a SQLite file path or postgres:// URL (default: the service configuration)')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  const open = async (): Promise<HandoffStore> => {
    const opt = program.opts<{ store?: string }>().store;
    const config = opt ? parseStoreOption(opt) : (io.loadStoreConfig ?? loadServiceStoreConfig)();
    store = await openHandoffStore(config);
    return store;
  };

  program
    .command('list')
    .description('list handoffs in one state (dead-lettered by default)')
    .option(
      '--state <state>',
      'accepted | delivering | routed | agent_assigned | failed | dead_lettered',
      stateArg,
    )
    .option('--limit <n>', 'at most this many', positiveInt, 50)
    .option('--after <handoffId>', 'page: handoffs after this id')
    .option('--json', 'one JSON object per line')
    .action(async (o: { state?: HandoffState; limit: number; after?: string; json?: boolean }) => {
      const s = await open();
      const rows = await s.listByState(o.state ?? 'dead_lettered', { limit: o.limit, after: o.after });
      if (o.json) {
        for (const r of rows) io.out(`${JSON.stringify(summary(r))}\n`);
      } else if (rows.length === 0) {
        io.out(`no ${o.state ?? 'dead_lettered'} handoffs\n`);
      } else {
        io.out(`${table(rows)}\n`);
        if (rows.length === o.limit) io.out(`… more: --after ${rows.at(-1)!.handoffId}\n`);
      }
    });

  program
    .command('inspect <handoffId>')
    .description('show one handoff: state, attempts, last error, case, routing')
    .option('--full', 'include the stored (already redacted) handoff')
    .action(async (id: string, o: { full?: boolean }) => {
      const s = await open();
      const r = await s.get(id);
      if (!r) {
        io.err(`handoff ${id} not found\n`);
        exitCode = 1;
        return;
      }
      io.out(
        `${JSON.stringify(o.full ? { ...summary(r), handoff: r.prepared.handoff } : summary(r), null, 2)}\n`,
      );
    });

  program
    .command('replay [handoffIds...]')
    .description('send dead-lettered handoffs again (after the cause is fixed)')
    .option('--all', 'every dead-lettered handoff')
    .action(async (ids: string[], o: { all?: boolean }) => {
      if (!o.all && ids.length === 0) {
        io.err('name handoff ids, or --all\n');
        exitCode = 2;
        return;
      }
      if (o.all && ids.length > 0) {
        io.err('give handoff ids or --all, not both\n');
        exitCode = 2;
        return;
      }
      const s = await open();
      const total = o.all ? (await s.stats(now())).counts.dead_lettered : ids.length;
      const bar =
        total > 1
          ? new SingleBar(
              {
                format: 'replay [{bar}] {value}/{total} {eta_formatted} left',
                stream: io.progressStream ?? process.stderr,
                noTTYOutput: true,
                notTTYSchedule: 1000,
                hideCursor: true,
              },
              Presets.shades_classic,
            )
          : null;
      bar?.start(total, 0);
      let requeued = 0;
      const skipped: string[] = [];
      const one = async (id: string) => {
        if (await s.requeue(id, now())) requeued += 1;
        else skipped.push(id);
        bar?.increment();
      };
      try {
        if (o.all) {
          let after: string | undefined;
          for (;;) {
            const page = await s.listByState('dead_lettered', { limit: 500, after });
            if (page.length === 0) break;
            for (const r of page) await one(r.handoffId);
            after = page.at(-1)!.handoffId;
          }
        } else {
          for (const id of ids) await one(id);
        }
      } finally {
        bar?.stop();
      }
      io.out(`requeued ${requeued} handoff(s); the service delivers them now\n`);
      if (skipped.length > 0) {
        io.err(`not dead-lettered (or unknown), left as they are: ${skipped.join(', ')}\n`);
        exitCode = 1;
      }
    });

  program
    .command('stats')
    .description('handoffs per state and the age of the oldest undelivered one')
    .action(async () => {
      const s = await open();
      const st = await s.stats(now());
      for (const state of HANDOFF_STATES) io.out(`${state.padEnd(15)} ${st.counts[state]}\n`);
      io.out(`oldest pending  ${Math.round(st.oldestPendingAgeMs / 1000)} s\n`);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    const e = err as { code?: string; exitCode?: number; message?: string };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      exitCode =
        e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : (e.exitCode ?? 2);
    } else {
      const problems = (err as { problems?: { path: string; message: string }[] }).problems;
      io.err(`${e.message ?? String(err)}\n`);
      if (problems) io.err('(or point at a store directly with --store <sqlite path | postgres://…>)\n');
      exitCode = 1;
    }
  } finally {
    await (store as HandoffStore | null)?.close();
  }
  return exitCode;
}

if (require.main === module) {
  void runHandoffsCli(process.argv.slice(2), {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
  }).then((code) => {
    process.exitCode = code;
  });
}
