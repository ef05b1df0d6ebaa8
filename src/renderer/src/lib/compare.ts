import type { MetricSeries } from '../../../shared/api/metrics'
import { metricDirection } from '../../../shared/metricInfo'
import { meanInterval } from '../../../core/stats'
import { stableJson } from '../../../shared/stableJson'

/**
 * Final value of a series and, where the metric has a direction (src/shared/metricInfo.ts), its
 * best: the max of a higher-is-better metric, the min of a lower-is-better one, null otherwise.
 * Exact even when downsampled (buckets keep min, max and last).
 */
export function finalAndBest(s: MetricSeries): { final: number | null; best: number | null } {
  if (s.step.length === 0) return { final: null, best: null }
  const dir = metricDirection(s.key)
  const final = s.last[s.last.length - 1]!
  if (dir === 'neither') return { final, best: null }
  let best = dir === 'lower' ? Infinity : -Infinity
  for (let i = 0; i < s.step.length; i++) best = dir === 'lower' ? Math.min(best, s.min[i]!) : Math.max(best, s.max[i]!)
  return { final, best }
}

/** Whether a difference is an improvement: null where the metric has no direction or nothing changed. */
export function isBetter(key: string, d: number | null): boolean | null {
  const dir = metricDirection(key)
  if (d === null || d === 0 || dir === 'neither') return null
  return dir === 'higher' ? d > 0 : d < 0
}

/** The mean of the last `n` raw points of a series' tail, and how many it used (fewer where the series is shorter). */
export function tailMean(s: MetricSeries, n: number): { mean: number | null; used: number } | null {
  if (!s.tail) return null
  // A tail shorter than n is usable only when it is the whole series.
  if (s.tail.value.length < n && s.tail.value.length < s.total) return null
  const vals = s.tail.value.slice(-n)
  return { mean: vals.length === 0 ? null : vals.reduce((a, b) => a + b, 0) / vals.length, used: vals.length }
}

/** A group row of the Δ table: the mean over its runs with the 95% Student-t interval (n = runs with a value). */
export function groupStat(values: readonly (number | null)[]): { mean: number | null; half: number | null; n: number } {
  const vals = values.filter((v): v is number => v !== null && Number.isFinite(v))
  if (vals.length === 0) return { mean: null, half: null, n: 0 }
  const iv = meanInterval(vals)
  return { mean: iv.mean, half: Number.isFinite(iv.half) ? iv.half : null, n: iv.n }
}

/** Config entries that differ between two runs, by dotted path ("optimizer.lr"), in path order. */
export function configDiff(a: unknown, b: unknown): { path: string; a: string | null; b: string | null }[] {
  const fa = flatten(a)
  const fb = flatten(b)
  const paths = [...new Set([...fa.keys(), ...fb.keys()])].sort()
  return paths.filter((p) => fa.get(p) !== fb.get(p)).map((p) => ({ path: p, a: fa.get(p) ?? null, b: fb.get(p) ?? null }))
}

function flatten(v: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>
    const keys = Object.keys(o).filter((k) => o[k] !== undefined)
    if (keys.length === 0 && prefix) out.set(prefix, '{}')
    for (const k of keys) flatten(o[k], prefix ? `${prefix}.${k}` : k, out)
  } else if (prefix || v !== null) out.set(prefix || '(config)', stableJson(v))
  return out
}

/** `value − baseline`, or null when either is missing. */
export function delta(value: number | null, baseline: number | null): number | null {
  return value === null || baseline === null ? null : value - baseline
}

/** An explicit group (an experiment's arm): its name and its runs. */
export interface Arm { label: string; runIds: number[] }

export type GroupBy = { by: 'none' } | { by: 'config' } | { by: 'tag'; prefix: string } | { by: 'arms'; arms: Arm[] }

/** The `arms` URL parameter (JSON `[{label, runIds}]`, as the Experiments view links it), or null when absent or malformed. */
export function parseArms(text: unknown): Arm[] | null {
  if (typeof text !== 'string' || text === '') return null
  try {
    const v = JSON.parse(text) as unknown
    if (!Array.isArray(v)) return null
    const arms = v.filter((a): a is Arm => !!a && typeof a === 'object' && typeof (a as Arm).label === 'string' && Array.isArray((a as Arm).runIds)
      && (a as Arm).runIds.every((r) => Number.isInteger(r) && r > 0))
    return arms.length > 0 ? arms : null
  } catch {
    return null
  }
}

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
  if (g.by === 'arms') {
    // Each run in the first arm that names it; runs no arm names stay alone.
    g.arms.forEach((a, i) => groups.set(`arm:${i}`, { key: `arm:${i}`, label: a.label, runIds: [] }))
    for (const r of runs) {
      const i = g.arms.findIndex((a) => a.runIds.includes(r.id))
      if (i >= 0) groups.get(`arm:${i}`)!.runIds.push(r.id)
      else groups.set(`run:${r.id}`, { key: `run:${r.id}`, label: r.name, runIds: [r.id] })
    }
    return [...groups.values()].filter((x) => x.runIds.length > 0)
      .map((x) => (x.runIds.length > 1 ? { ...x, label: `${x.label} (${x.runIds.length} runs)` } : x))
  }
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
