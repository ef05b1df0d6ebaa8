import { createHash } from 'node:crypto'
import { z } from 'zod'
import { jsonErrorOffset, lineColumn } from './jsonError'
import { stableJson } from '../../shared/stableJson'
import { ConfigError, parseTrainConfig, type TrainConfig } from '../../engine/config'

// An experiment is a grid of training runs: arms (named config overrides) × every combination of
// the grid's axes (any config key, dotted for nested ones: `alpha`, `task`, `warmup.executionErrorRate`)
// × seeds. One seed's runs of every arm start from the same warmed-up base policy (the engine caches
// it by task, model, warm-up settings, seed and backend), which is what pairs them in the report.

const Scalar = z.union([z.number(), z.string(), z.boolean()])
const ConfigPatch = z.record(z.string(), z.unknown())
const Name = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters')

export const ExperimentSpecSchema = z.strictObject({
  name: Name,
  description: z.string().max(10_000).default(''),
  /** Config every run starts from (the engine's defaults fill the rest). */
  base: ConfigPatch.default({}),
  /** Named overrides, each an arm of the comparison; without them the grid's cells are the arms. */
  arms: z.array(z.strictObject({ name: Name, config: ConfigPatch.default({}) })).min(1).max(100).optional(),
  /** Axes crossed with the arms: config key (dotted path) → values. */
  grid: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/, 'must be a config key such as alpha or warmup.steps'),
    z.array(Scalar).min(1).max(100)).default({}),
  seeds: z.array(z.number().int().min(0).max(2 ** 31 - 1)).min(1).max(1000)
    .refine((s) => new Set(s).size === s.length, 'must not repeat a seed'),
  /** The arm the report's Δ is taken against (default: the first arm whose algo is grpo). */
  baseline: z.string().optional()
}).refine((s) => !('seed' in s.grid), { message: 'seeds go in "seeds", not in the grid', path: ['grid', 'seed'] })

export type ExperimentSpecInput = z.input<typeof ExperimentSpecSchema>
export type ExperimentSpec = z.output<typeof ExperimentSpecSchema>

export interface GridCell {
  /** Position in the grid: seed-major, so the first seeds of every arm complete first. */
  idx: number
  /** The arm's label: its name and its grid values (every config difference except the seed). */
  arm: string
  seed: number
  config: TrainConfig
}

export class SpecError extends Error {
  constructor(message: string, readonly field?: string) {
    super(message)
    this.name = 'SpecError'
  }
}

/** Validates a spec; the message names each bad field (and `source`, a file name, when given). */
export function parseSpec(input: unknown, source = 'experiment'): ExperimentSpec {
  const r = ExperimentSpecSchema.safeParse(input)
  if (r.success) return r.data
  const lines = r.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
  throw new SpecError(`${source}: invalid experiment: ${lines.join('; ')}`, r.error.issues[0]?.path.join('.'))
}

/** Parses a spec file's text; a JSON syntax error names the file, line and column. */
export function parseSpecText(text: string, file: string): ExperimentSpec {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    const msg = (e as Error).message.replace(/\s+/g, ' ')
    const at = jsonErrorOffset(text)
    if (at >= 0) {
      const { line, column } = lineColumn(text, at)
      throw new SpecError(`${file}:${line}:${column}: not valid JSON (${msg})`)
    }
    throw new SpecError(`${file}: not valid JSON (${msg})`)
  }
  return parseSpec(json, file)
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.')
  let o = target
  for (const p of parts.slice(0, -1)) {
    const next = o[p]
    o = o[p] = next && typeof next === 'object' && !Array.isArray(next) ? { ...(next as Record<string, unknown>) } : {}
  }
  o[parts[parts.length - 1]!] = value
}

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a }
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k]
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' && !Array.isArray(prev)
      ? merge(prev as Record<string, unknown>, v as Record<string, unknown>)
      : v
  }
  return out
}

function product(axes: [string, readonly (string | number | boolean)[]][]): [string, string | number | boolean][][] {
  let out: [string, string | number | boolean][][] = [[]]
  for (const [key, values] of axes) out = out.flatMap((prefix) => values.map((v) => [...prefix, [key, v] as [string, string | number | boolean]]))
  return out
}

/** Every run of the grid, validated by the engine's own config schema (a bad cell names its arm). */
export function expandGrid(spec: ExperimentSpec): GridCell[] {
  const arms = spec.arms ?? [{ name: '', config: {} }]
  const combos = product(Object.entries(spec.grid))
  const cells: GridCell[] = []
  const labels = new Set<string>()
  for (const seed of spec.seeds) {
    for (const arm of arms) {
      for (const combo of combos) {
        const label = [arm.name, ...combo.map(([k, v]) => `${k}=${v}`)].filter((s) => s !== '').join(' ') || 'base'
        let raw = merge(spec.base, arm.config)
        for (const [k, v] of combo) setPath(raw, k, v)
        raw = { ...raw, seed }
        let config: TrainConfig
        try {
          config = parseTrainConfig(raw)
        } catch (e) {
          throw new SpecError(`${spec.name}: arm '${label}': ${(e as Error).message}`, e instanceof ConfigError ? e.field : undefined)
        }
        if (seed === spec.seeds[0]) {
          if (labels.has(label)) throw new SpecError(`${spec.name}: two arms are both called '${label}'`, 'arms')
          labels.add(label)
        }
        cells.push({ idx: cells.length, arm: label, seed, config })
      }
    }
  }
  if (spec.baseline !== undefined && !labels.has(spec.baseline)) {
    throw new SpecError(`${spec.name}: baseline '${spec.baseline}' is not an arm (arms: ${[...labels].join(', ')})`, 'baseline')
  }
  return cells
}


/** Identifies a spec: running the same spec again continues the same experiment. */
export function specHash(spec: ExperimentSpec): string {
  return createHash('sha256').update(stableJson(spec)).digest('hex').slice(0, 16)
}

/**
 * The runs that share a warmed-up base policy (the engine's cache key, minus the backend it picks):
 * the warm-up's own seed where the config sets one (one base, several RL seeds), else the run's.
 */
export function baseKey(config: TrainConfig): string {
  const { seed: baseSeed, ...warmup } = config.warmup as TrainConfig['warmup'] & { seed?: number }
  return stableJson({ task: config.task, model: config.model, warmup, seed: baseSeed ?? config.seed, backend: config.backend })
}
