import type { MetricSeries } from '../../../shared/api/metrics'

/**
 * Whether a larger value of a metric is better, for the "best" column. Losses, perplexities, step
 * times and error counts are better low; accuracy, pass@k, rewards and the rest are better high.
 */
export function lowerIsBetter(key: string): boolean {
  return /(^|_)(loss|perplexity|step_time|time|error|errors|length_penalty)($|_)/.test(key) || key.startsWith('relative_perplexity')
}

/** Final and best value of a series, exact even when downsampled (buckets keep min, max and last). */
export function finalAndBest(s: MetricSeries): { final: number | null; best: number | null } {
  if (s.step.length === 0) return { final: null, best: null }
  const low = lowerIsBetter(s.key)
  let best = low ? Infinity : -Infinity
  for (let i = 0; i < s.step.length; i++) best = low ? Math.min(best, s.min[i]!) : Math.max(best, s.max[i]!)
  return { final: s.last[s.last.length - 1]!, best }
}

/** `value − baseline`, or null when either is missing. */
export function delta(value: number | null, baseline: number | null): number | null {
  return value === null || baseline === null ? null : value - baseline
}

/** JSON with object keys sorted, so two equal configs give the same text whatever their key order. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`).join(',')}}`
  }
  return JSON.stringify(v) ?? 'null'
}

export type GroupBy = { by: 'none' } | { by: 'config' } | { by: 'tag'; prefix: string }

export interface GroupableRun {
  id: number
  name: string
  tags: string[]
  config: unknown
}

export interface RunGroup {
  key: string
  label: string
  runIds: number[]
}

/**
 * Groups runs for mean ± min–max curves: by config minus its `seed` (several seeds of one
 * experiment), or by the run's tags that start with `prefix` (all its tags for an empty prefix).
 * A run without a config or without a matching tag stays a group of its own.
 */
export function groupRuns(runs: readonly GroupableRun[], g: GroupBy): RunGroup[] {
  const groups = new Map<string, RunGroup>()
  for (const r of runs) {
    let key = `run:${r.id}`
    let label = r.name
    if (g.by === 'config' && r.config && typeof r.config === 'object' && !Array.isArray(r.config)) {
      const { seed: _seed, ...rest } = r.config as Record<string, unknown>
      key = `config:${stableJson(rest)}`
    } else if (g.by === 'tag') {
      const tags = r.tags.filter((t) => t.startsWith(g.prefix)).sort()
      if (tags.length > 0) { key = `tag:${tags.join('|')}`; label = tags.join(', ') }
    }
    const found = groups.get(key)
    if (found) found.runIds.push(r.id)
    else groups.set(key, { key, label, runIds: [r.id] })
  }
  const out = [...groups.values()]
  // A config group is named after its members, which the config text is too long to serve as.
  for (const grp of out) {
    if (grp.runIds.length > 1 && g.by === 'config') {
      const names = grp.runIds.map((id) => runs.find((r) => r.id === id)!.name)
      grp.label = `${commonPrefix(names) || names[0]} (${grp.runIds.length} runs)`
    } else if (grp.runIds.length > 1) grp.label = `${grp.label} (${grp.runIds.length} runs)`
  }
  return out
}

function commonPrefix(names: string[]): string {
  let p = names[0] ?? ''
  for (const n of names) while (!n.startsWith(p)) p = p.slice(0, -1)
  // Never cut a word in two ("hicra s1", "hicra s2" → "hicra", not "hicra s").
  if (names.some((n) => /[\p{L}\p{N}]/u.test(n.charAt(p.length))) && /[\p{L}\p{N}]$/u.test(p)) p = p.replace(/[\p{L}\p{N}]+$/u, '')
  return p.replace(/[\s_\-:=.,]+$/, '')
}

/** Eight colours that stay apart for the usual colour-vision deficiencies (Okabe–Ito + two). */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#8C564B']

export function colorOf(index: number): string {
  return PALETTE[index % PALETTE.length]!
}
