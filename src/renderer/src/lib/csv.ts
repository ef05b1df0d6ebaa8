/** One raw stored point of a run's metric, as exported. */
export interface CsvPoint {
  runId: number
  runName: string
  key: string
  step: number
  /** Wall time, ms since the epoch. */
  wallTime: number
  value: number
}

export const CSV_HEADER = ['run_id', 'run_name', 'key', 'step', 'wall_time_ms', 'wall_time_iso', 'value'] as const

/** RFC 4180 quoting: a field with a comma, quote or line break is quoted, quotes doubled. */
export function csvField(v: string | number): string {
  const s = String(v)
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/**
 * Long-format CSV, one row a stored point. Numbers are written with JavaScript's shortest
 * round-trip form, so parsing a value gives back exactly the stored double.
 */
export function pointsToCsv(points: Iterable<CsvPoint>): string {
  const lines = [CSV_HEADER.join(',')]
  for (const p of points) {
    lines.push([p.runId, csvField(p.runName), csvField(p.key), p.step, p.wallTime, new Date(p.wallTime).toISOString(), p.value]
      .map((f) => (typeof f === 'number' ? String(f) : f)).join(','))
  }
  return lines.join('\n') + '\n'
}

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF) into rows of strings. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++ }
      else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') { row.push(field); field = '' }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++
      row.push(field); rows.push(row); row = []; field = ''
    } else field += c
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row) }
  return rows
}
