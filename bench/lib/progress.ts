/** Progress on stderr: one rewritten line on a terminal, a line every few seconds otherwise. */
export class Progress {
  private lastPlain = 0;
  private readonly tty = Boolean(process.stderr.isTTY);
  private open = false;

  update(text: string): void {
    if (this.tty) {
      process.stderr.write(`\r\x1b[K${text}`);
      this.open = true;
      return;
    }
    const now = Date.now();
    if (now - this.lastPlain >= 3000) {
      this.lastPlain = now;
      process.stderr.write(`${text}\n`);
    }
  }

  /** A line that stays. */
  log(text: string): void {
    if (this.open) process.stderr.write('\r\x1b[K');
    this.open = false;
    process.stderr.write(`${text}\n`);
  }
}

/** Parses a Server-Timing header into name → duration (ms). */
export function parseServerTiming(value: string | string[] | undefined): Map<string, number> {
  const out = new Map<string, number>();
  if (value === undefined) return out;
  const text = Array.isArray(value) ? value.join(',') : value;
  for (const entry of text.split(',')) {
    const [name, ...params] = entry.trim().split(';');
    if (!name) continue;
    for (const p of params) {
      const m = /^\s*dur\s*=\s*"?([0-9.]+)"?\s*$/.exec(p);
      if (m?.[1]) out.set(name.trim(), Number.parseFloat(m[1]));
    }
  }
  return out;
}
