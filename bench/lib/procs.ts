/**
 * Child processes the benchmark starts (the emulator, the service): spawned in their own process
 * group so that every one of them, and anything they start, is killed on exit, on error and on
 * Ctrl-C. Only processes started here are ever signalled, and only by their own ids.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  /** The last lines it wrote (stdout and stderr), for error messages. */
  tail(): string;
  /** Resolves when it has exited. */
  exited: Promise<number | null>;
  stop(timeoutMs?: number): Promise<void>;
}

const live = new Set<Child>();
const cleanups: (() => void)[] = [];
let handlersInstalled = false;

/** Runs (synchronously) when the bench exits, however it exits: e.g. removing its temp dir. */
export function onExit(fn: () => void): void {
  installHandlers();
  cleanups.push(fn);
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Kills every child still running (synchronously, SIGKILL): for exit paths that cannot wait. */
export function killAllNow(): void {
  for (const c of live) killGroup(c.pid, 'SIGKILL');
  live.clear();
  for (const fn of cleanups.splice(0)) {
    try {
      fn();
    } catch {
      // best effort on the way out
    }
  }
}

/** Stops every child politely (SIGTERM, then SIGKILL after the timeout). */
export async function stopAll(timeoutMs = 5000): Promise<void> {
  await Promise.all([...live].map((c) => c.stop(timeoutMs)));
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\n${sig}: stopping the benchmark's child processes…\n`);
      killAllNow();
      process.exit(130);
    });
  }
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Write the child's output through to ours (for --verbose). */
  echo?: boolean;
  /** Open an IPC channel (child.proc.send / 'message'). */
  ipc?: boolean;
}

export function spawnChild(name: string, command: string, args: string[], opts: SpawnOptions = {}): Child {
  installHandlers();
  const proc = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true, // its own process group, so the group can be signalled as a whole
    stdio: opts.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  if (proc.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  const pid = proc.pid;
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    const text = chunk.toString('utf8');
    if (opts.echo) process.stderr.write(`[${name}] ${text}`);
    for (const l of text.split('\n')) if (l.trim() !== '') lines.push(l);
    if (lines.length > 60) lines.splice(0, lines.length - 60);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    proc.once('exit', (code) => {
      live.delete(child);
      resolve(code);
    });
    proc.once('error', () => {
      live.delete(child);
      resolve(null);
    });
  });
  const child: Child = {
    name,
    proc,
    pid,
    tail: () => lines.join('\n'),
    exited,
    async stop(timeoutMs = 5000): Promise<void> {
      if (!live.has(child)) return;
      killGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
      // Anything it started and left behind in its group.
      killGroup(pid, 'SIGKILL');
    },
  };
  live.add(child);
  return child;
}

/** Resolves once a GET to the URL answers (any status below 500), or rejects after the timeout. */
export async function waitForHttp(url: string, timeoutMs: number, child?: Child): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitedCode: number | null | undefined;
  void child?.exited.then((c) => {
    exitedCode = c;
  });
  let last = '';
  while (Date.now() < deadline) {
    if (exitedCode !== undefined) {
      throw new Error(
        `${child?.name ?? 'process'} exited (code ${exitedCode}) before ${url} answered:\n${child?.tail() ?? ''}`,
      );
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status < 500) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(100);
  }
  throw new Error(
    `${url} did not answer within ${timeoutMs} ms (${last})${child ? `:\n${child.tail()}` : ''}`,
  );
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resident set size of a process from /proc (Linux): current and peak (VmHWM), in MB. */
export function readRss(pid: number): { rssMB: number; peakMB: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string): number => {
      const m = new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
      return m?.[1] ? Number.parseInt(m[1], 10) : Number.NaN;
    };
    return { rssMB: kb('VmRSS') / 1024, peakMB: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on Linux, whatever the kernel's HZ). */
const USER_HZ = 100;

/**
 * The CPU time (user + system, ms) a process has used so far, all its threads included, from
 * /proc/<pid>/stat (Linux); null where that cannot be read. Resolution: 10 ms.
 */
export function readCpuMs(pid: number): number | null {
  try {
    return cpuMsFromStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** utime + stime of a /proc/<pid>/stat line, in ms (the command name may hold spaces and parentheses). */
export function cpuMsFromStat(stat: string): number | null {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ", field 3 (state) is fields[0]; utime and stime are fields 14 and 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isInteger(utime) || !Number.isInteger(stime)) return null;
  return ((utime + stime) * 1000) / USER_HZ;
}

/** Time a thread spent on a CPU and waiting for one (runnable, in the run queue), ms. */
export interface SchedTimes {
  runMs: number;
  waitMs: number;
}

/** The first two fields of a /proc/…/schedstat line (ns on a CPU, ns waiting in the run queue); null if malformed. */
export function schedTimesFromText(text: string): SchedTimes | null {
  const [run, wait] = text.trim().split(/\s+/).map(Number);
  if (!Number.isFinite(run) || !Number.isFinite(wait)) return null;
  return { runMs: (run as number) / 1e6, waitMs: (wait as number) / 1e6 };
}

/**
 * A process's request thread (the main thread: its thread id is the pid) and all its threads
 * together, from /proc/<pid>/task/<tid>/schedstat (Linux with schedstats); null where that cannot be
 * read. Threads that ended are not counted: compare two readings only for a process whose threads
 * last (the service's do).
 */
export function readSchedTimes(pid: number): { main: SchedTimes; all: SchedTimes } | null {
  let main: SchedTimes | null = null;
  const all = { runMs: 0, waitMs: 0 };
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  for (const tid of tids) {
    let t: SchedTimes | null = null;
    try {
      t = schedTimesFromText(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8'));
    } catch {
      // the thread ended meanwhile (or schedstats are off)
    }
    if (!t) continue;
    if (tid === String(pid)) main = t;
    all.runMs += t.runMs;
    all.waitMs += t.waitMs;
  }
  return main ? { main, all } : null;
}

/**
 * The run-queue note of a scenario: per handoff, how long the service's request thread (and all its
 * threads) ran and how long they were ready to run but waited for a CPU, between two readings. On
 * two cores shared with the emulator and the load generator, that wait is part of every latency and
 * no profile shows it. Null without both readings or handoffs.
 */
export function describeRunQueue(
  start: { main: SchedTimes; all: SchedTimes } | null,
  end: { main: SchedTimes; all: SchedTimes } | null,
  handoffs: number,
): string | null {
  if (!start || !end || handoffs <= 0) return null;
  const per = (a: number, b: number) => Math.round(((b - a) / handoffs) * 1000) / 1000;
  return (
    `run queue per handoff, load and drain: the service's request thread ran ${per(start.main.runMs, end.main.runMs)} ms ` +
    `and waited ${per(start.main.waitMs, end.main.waitMs)} ms for a CPU; all its threads ran ` +
    `${per(start.all.runMs, end.all.runMs)} ms and waited ${per(start.all.waitMs, end.all.waitMs)} ms`
  );
}

/**
 * Resets the peak RSS (VmHWM) of a process to its current RSS (Linux ≥ 4.0: "5" to clear_refs), so a
 * scenario's peak is its own. Returns false where that is not possible; the peak then covers the
 * process's whole life.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * Samples RSS while a scenario runs (VmHWM is exact, the samples are a cross-check where /proc has
 * no VmHWM).
 */
export class RssSampler {
  private peak = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly pid: number) {}

  start(intervalMs = 200): void {
    const tick = (): void => {
      const r = readRss(this.pid);
      if (r) this.peak = Math.max(this.peak, Number.isFinite(r.peakMB) ? r.peakMB : r.rssMB);
    };
    tick();
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  stop(): number | null {
    if (this.timer) clearInterval(this.timer);
    const r = readRss(this.pid);
    if (r) this.peak = Math.max(this.peak, Number.isFinite(r.peakMB) ? r.peakMB : r.rssMB);
    return this.peak > 0 ? this.peak : null;
  }
}

/** Request/answer over a child's IPC channel. */
export class Rpc {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly ready: Promise<unknown>;

  constructor(private readonly child: Child) {
    let readyResolve: (v: unknown) => void = () => undefined;
    let readyReject: (e: Error) => void = () => undefined;
    this.ready = new Promise((resolve, reject) => {
      readyResolve = resolve;
      readyReject = reject;
    });
    child.proc.on('message', (raw: { id: number; ok: boolean; value: unknown }) => {
      if (raw.id === 0) {
        readyResolve(raw.value);
        return;
      }
      const p = this.pending.get(raw.id);
      if (!p) return;
      this.pending.delete(raw.id);
      if (raw.ok) p.resolve(raw.value);
      else p.reject(new Error(`${child.name}: ${String(raw.value)}`));
    });
    void child.exited.then((code) => {
      const err = new Error(`${child.name} exited (code ${code}):\n${child.tail()}`);
      readyReject(err);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
  }

  call<T>(cmd: string, arg?: unknown): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: (v) => resolve(v as T), reject });
      this.child.proc.send({ id, cmd, arg });
    });
  }
}
