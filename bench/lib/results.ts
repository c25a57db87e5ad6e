/**
 * The benchmark's result file (bench/results/<timestamp>.json and latest.json): one row per
 * scenario and mode, plain numbers (null when not measured), so runs can be compared across commits.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Calibration } from './calibrate';

export const RESULTS_SCHEMA_VERSION = 1;

/** The service; the naive reference (one REST call per record); the floor reference (bench/floor-service.ts). */
export type Mode = 'coalesced' | 'naive' | 'floor';

export interface LatencySummary {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
  count: number;
}

export interface ScenarioRow {
  scenario: string;
  mode: Mode;
  /** Label shown in the table, e.g. "burst 500" or "burst 500 · naive (reference)". */
  label: string;
  sent: number;
  /** 201 + 202 answers (accepted durably). */
  accepted: number;
  /** 2xx by status code, and everything else by status code ("error" for socket errors and timeouts). */
  statuses: Record<string, number>;
  /** Handoffs seen in Salesforce (the emulator) when the scenario ended. */
  delivered: number;
  /** Wall time of the load phase, seconds. */
  durationS: number;
  /** Accepted handoffs per second over the load phase. */
  acceptedPerS: number | null;
  /** Seconds after the load phase until every accepted handoff was in Salesforce. */
  drainS: number | null;
  latencyMs: LatencySummary;
  /** The service's own time: total minus time waiting on Salesforce. */
  serviceAddedMs: LatencySummary;
  serviceAddedSource: string;
  /** The same from the emulator's side (its handling time only, not its queueing), for comparison. */
  serviceAddedEmulatorMs?: LatencySummary;
  /**
   * The service's added time split around Salesforce (201 answers): from the request to its first
   * Salesforce call (accept, gathering window, waiting for a worker slot, claim, plan), and from the
   * last call's answer to the bot's answer (settle, store, answer).
   */
  beforeCallMs?: LatencySummary;
  afterCallMs?: LatencySummary;
  /** Salesforce API calls (data API, charged against the daily allocation) during the scenario. */
  sfCalls: number;
  /** Per endpoint family, including OAuth calls (which are not charged). */
  sfCallsByFamily: Record<string, number>;
  sfCallsPerHandoff: number | null;
  /** The writes alone (composite graph, composite, sObject calls): what delivering the handoffs cost. */
  sfWriteCalls: number;
  sfWriteCallsPerHandoff: number | null;
  /** Peak resident set size of the service process, MB (VmHWM). */
  peakRssMB: number | null;
  /**
   * CPU time (ms, user + system, every thread) per accepted handoff, from the load's start until all
   * were delivered (/proc on Linux; 10 ms resolution over the whole scenario): the service's, and the
   * emulator's, which shares the same cores.
   */
  serviceCpuMsPerHandoff?: number | null;
  emulatorCpuMsPerHandoff?: number | null;
  /** How long the emulator took per data call (injected latency included), when measured. */
  emulatorCallMs?: LatencySummary | null;
  /** Graphs carried by each composite graph call, in order (coalescing at work). */
  graphsPerCall?: number[];
  /** --trace: the service's store calls and event-loop delay over its whole life (warm-up included). */
  trace?: Record<string, unknown> | null;
  notes: string[];
}

export interface BenchResults {
  schema: number;
  startedAt: string;
  finishedAt: string;
  commit: string;
  dirty: boolean;
  machine: {
    cpus: number;
    cpuModel: string;
    totalMemMB: number;
    node: string;
    platform: string;
    loadavg1m: number;
    /** How fast the machine was when the run started (bench/lib/calibrate.ts); absent before it existed. */
    calibration?: Calibration;
  };
  options: Record<string, unknown>;
  rows: ScenarioRow[];
  targets: TargetCheck[];
}

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean | null;
}

export function writeResults(dir: string, results: BenchResults): { file: string; latest: string } {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  const stamp = results.startedAt.replace(/[:.]/g, '-');
  const file = join(dir, `${stamp}.json`);
  const latest = join(dir, 'latest.json');
  const text = `${JSON.stringify(results, null, 2)}\n`;
  writeFileSync(file, text);
  writeFileSync(latest, text);
  return { file, latest };
}

export function readResults(file: string): BenchResults {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<BenchResults>;
  if (parsed.schema !== RESULTS_SCHEMA_VERSION || !Array.isArray(parsed.rows)) {
    throw new Error(`${file} is not a benchmark result file (schema ${RESULTS_SCHEMA_VERSION})`);
  }
  return parsed as BenchResults;
}

/** Null for NaN/Infinity so the JSON stays plain numbers. */
export function num(n: number): number | null {
  return Number.isFinite(n) ? n : null;
}
