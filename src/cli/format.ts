import type { JobProgress } from '../shared/api/jobs'

/** A plain left-aligned text table for terminals. */
export function table(headers: string[], rows: unknown[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))))]
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)))
  return cells.map((r) => r.map((c, i) => (c ?? '').padEnd(widths[i]!)).join('  ').trimEnd()).join('\n')
}

/** A one-line progress bar for long work on a terminal (bytes or items, rate and ETA). */
export function progressLine(label: string, done: number, total: number | null, unit: string, rate: number | null): string {
  const human = (n: number) => (unit === 'bytes' ? humanBytes(n) : Math.round(n).toLocaleString('en-US'))
  const frac = total ? Math.min(1, done / total) : null
  const width = 28
  const bar = frac === null ? '' : '[' + '#'.repeat(Math.round(frac * width)).padEnd(width, '.') + '] '
  const pct = frac === null ? '' : `${(frac * 100).toFixed(1).padStart(5)}% `
  const r = rate ? ` ${human(rate)}/s` : ''
  const eta = rate && total ? ` ETA ${formatDuration((total - done) / rate)}` : ''
  return `${label} ${bar}${pct}${human(done)}${total ? ' / ' + human(total) : ''}${unit && unit !== 'bytes' ? ' ' + unit : ''}${r}${eta}`
}

export function humanBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let i = 0
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000
    i++
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?'
  const s = Math.round(seconds)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`
}

/** A progress bar on stderr: redrawn in place on a terminal, a line every few seconds otherwise. */
export function progressPrinter(label: string): { update(p: Pick<JobProgress, 'done' | 'total' | 'unit' | 'rate' | 'message'>): void; end(): void } {
  const tty = process.stderr.isTTY === true
  let last = 0
  let drawn = false
  return {
    update(p) {
      const now = Date.now()
      if (!tty && now - last < 2000) return
      last = now
      const line = progressLine(label, p.done, p.total, p.unit, p.rate) + (p.message ? `  ${p.message}` : '')
      if (tty) {
        process.stderr.write('\r' + line.slice(0, (process.stderr.columns || 120) - 1).padEnd(Math.min(119, (process.stderr.columns || 120) - 1)))
        drawn = true
      } else process.stderr.write(line + '\n')
    },
    end() {
      if (drawn) process.stderr.write('\n')
    }
  }
}
