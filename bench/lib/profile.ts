/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by area (a package in
 * node_modules, a module folder of src/, Node internals, GC), so the benchmark can say where the
 * service's own time goes.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface FrameTime {
  name: string;
  ms: number;
  pct: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Time not idle (everything but "(idle)"). */
  busyMs: number;
  byFunction: FrameTime[];
  byArea: FrameTime[];
}

/** The area a frame belongs to: a package, a src/ module folder, node internals, or a V8 pseudo-frame. */
export function areaOf(url: string, functionName: string): string {
  if (url === '') {
    if (functionName.startsWith('(')) return functionName; // (garbage collector), (program), (idle)
    return '(native)';
  }
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm?.[1]) return nm[1];
  const src = /\/src\/([^/]+)(?:\/|\.js$|\.ts$)/.exec(url);
  if (src?.[1]) return `src/${src[1].replace(/\.(js|ts)$/, '')}`;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0] ?? ''}`;
  return url.split('/').slice(-2).join('/');
}

function shortUrl(url: string): string {
  const nm = /node_modules\/(.*)$/.exec(url);
  if (nm?.[1]) return nm[1];
  const src = /\/(src\/.*)$/.exec(url);
  if (src?.[1]) return src[1];
  return url;
}

export function summariseProfile(file: string, top = 25): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  if (p.samples && p.timeDeltas && p.samples.length === p.timeDeltas.length) {
    // A sample's time is the delta to the next sample.
    for (let i = 0; i < p.samples.length; i++) {
      const id = p.samples[i] ?? 0;
      const dt = p.timeDeltas[i + 1] ?? 0;
      selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, dt));
    }
  } else {
    const total = p.endTime - p.startTime;
    const hits = p.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0) || 1;
    for (const n of p.nodes) selfUs.set(n.id, ((n.hitCount ?? 0) / hits) * total);
  }
  const totalMs = (p.endTime - p.startTime) / 1000;
  const fn = new Map<string, number>();
  const area = new Map<string, number>();
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const name = `${functionName || '(anonymous)'} ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`.trim();
    fn.set(name, (fn.get(name) ?? 0) + us);
    const a = areaOf(url, functionName);
    area.set(a, (area.get(a) ?? 0) + us);
  }
  const busyMs = totalMs - idleUs / 1000;
  const list = (m: Map<string, number>): FrameTime[] =>
    [...m.entries()]
      .map(([name, us]) => ({ name, ms: us / 1000, pct: busyMs > 0 ? (us / 1000 / busyMs) * 100 : 0 }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top);
  return { totalMs, busyMs, byFunction: list(fn), byArea: list(area) };
}

export function renderProfile(s: ProfileSummary, file: string): string {
  const lines = [
    `CPU profile ${file}: ${s.totalMs.toFixed(0)} ms wall, ${s.busyMs.toFixed(0)} ms busy (on the main thread)`,
    'Self time by area (% of busy):',
    ...s.byArea.map(
      (f) => `  ${f.pct.toFixed(1).padStart(5)}%  ${f.ms.toFixed(0).padStart(6)} ms  ${f.name}`,
    ),
    'Top functions by self time:',
    ...s.byFunction.map(
      (f) => `  ${f.pct.toFixed(1).padStart(5)}%  ${f.ms.toFixed(0).padStart(6)} ms  ${f.name}`,
    ),
  ];
  return lines.join('\n');
}
