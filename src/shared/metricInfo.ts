/**
 * The one place that knows what a metric key means: its label, the section it is listed under, its
 * unit and its direction (whether a larger value is better, a smaller one, or neither). Every view
 * (Compare's picker and Δ table, the runs list's metric columns) asks here; nothing else guesses.
 *
 * Keys are SPEC §4's (src/core/metrics.ts), the trainer's (src/engine/trainer.ts) and its test
 * evaluation's (src/engine/evaluate.ts). A key not listed here (an imported run's own field) is
 * shown under "Other" with direction `neither`: no colour is better than a wrong one.
 */
export type MetricDirection = 'higher' | 'lower' | 'neither'

export const METRIC_SECTIONS = [
  { id: 'outcome', label: 'Outcome' },
  { id: 'planning', label: 'Planning and Strategic Grams' },
  { id: 'entropy', label: 'Token entropy' },
  { id: 'perplexity', label: 'Perplexity' },
  { id: 'response', label: 'Responses' },
  { id: 'errors', label: 'Error rates' },
  { id: 'training', label: 'Training internals' },
  { id: 'speed', label: 'Speed' },
  { id: 'other', label: 'Other' }
] as const
export type MetricSection = (typeof METRIC_SECTIONS)[number]['id']

export interface MetricInfo {
  key: string
  label: string
  section: MetricSection
  /** '' for a plain number or a share in [0, 1]. */
  unit: string
  direction: MetricDirection
}

type Entry = Omit<MetricInfo, 'key'>

// Entropies, length, planning ratio and perplexities describe how a policy reasons; the paper reads
// their trends (exploration, consolidation), and neither end is "better". The policy-gradient loss is
// a surrogate whose value (about 0 with group-normalised advantages) says nothing of quality.
const EXACT: Record<string, Entry> = {
  accuracy: { label: 'accuracy', section: 'outcome', unit: '', direction: 'higher' },
  reward_mean: { label: 'mean reward', section: 'outcome', unit: '', direction: 'higher' },
  planning_ratio: { label: 'planning ratio', section: 'planning', unit: '', direction: 'neither' },
  semantic_entropy: { label: 'semantic entropy', section: 'planning', unit: 'nats', direction: 'neither' },
  conditional_entropy: { label: 'conditional entropy', section: 'planning', unit: 'nats', direction: 'neither' },
  high_entropy_planning_share: { label: 'planning share of high-entropy tokens', section: 'planning', unit: '', direction: 'neither' },
  planning_high_entropy_share: { label: 'high-entropy share of planning tokens', section: 'planning', unit: '', direction: 'neither' },
  token_entropy: { label: 'token entropy (all tokens)', section: 'entropy', unit: 'nats', direction: 'neither' },
  token_entropy_planning: { label: 'token entropy, planning', section: 'entropy', unit: 'nats', direction: 'neither' },
  token_entropy_execution: { label: 'token entropy, execution', section: 'entropy', unit: 'nats', direction: 'neither' },
  perplexity_planning: { label: 'perplexity, planning', section: 'perplexity', unit: '', direction: 'neither' },
  perplexity_execution: { label: 'perplexity, execution', section: 'perplexity', unit: '', direction: 'neither' },
  relative_perplexity_planning: { label: 'relative perplexity, planning', section: 'perplexity', unit: '', direction: 'neither' },
  relative_perplexity_execution: { label: 'relative perplexity, execution', section: 'perplexity', unit: '', direction: 'neither' },
  length: { label: 'response length', section: 'response', unit: 'tokens or words', direction: 'neither' },
  response_tokens: { label: 'response tokens per step', section: 'response', unit: 'tokens', direction: 'neither' },
  rollouts: { label: 'rollouts per step', section: 'response', unit: '', direction: 'neither' },
  loss: { label: 'loss', section: 'training', unit: '', direction: 'neither' },
  clip_fraction: { label: 'clip fraction', section: 'training', unit: '', direction: 'neither' },
  grad_norm: { label: 'gradient norm', section: 'training', unit: '', direction: 'neither' },
  updates: { label: 'optimizer updates per step', section: 'training', unit: '', direction: 'neither' },
  step_time_s: { label: 'step time', section: 'speed', unit: 's', direction: 'lower' },
  sample_time_s: { label: 'sampling time', section: 'speed', unit: 's', direction: 'lower' },
  update_time_s: { label: 'update time', section: 'speed', unit: 's', direction: 'lower' },
  eval_time_s: { label: 'evaluation time', section: 'speed', unit: 's', direction: 'lower' },
  tokens_per_s: { label: 'tokens per second', section: 'speed', unit: 'tokens/s', direction: 'higher' },
  sample_tokens_per_s: { label: 'sampled tokens per second', section: 'speed', unit: 'tokens/s', direction: 'higher' }
}

/** Keys with a number or a name in them: pass@k at any k, error rates of any type. */
const PATTERNS: { re: RegExp; info: (m: RegExpExecArray) => Entry }[] = [
  { re: /^pass_at_(\d+)$/, info: (m) => ({ label: `pass@${m[1]}`, section: 'outcome', unit: '', direction: 'higher' }) },
  { re: /^test_pass_at_(\d+)$/, info: (m) => ({ label: `test pass@${m[1]}`, section: 'outcome', unit: '', direction: 'higher' }) },
  { re: /^(test_)?error_(\w+)$/, info: (m) => ({ label: `${m[1] ? 'test ' : ''}${m[2]} error rate`, section: 'errors', unit: '', direction: 'lower' }) }
]

/** The keys the registry names exactly (pass@k and error rates come by pattern), for pickers that offer keys before any run is loaded. */
export const KNOWN_METRICS: readonly string[] = Object.keys(EXACT)

export function metricInfo(key: string): MetricInfo {
  const e = EXACT[key]
  if (e) return { key, ...e }
  for (const p of PATTERNS) {
    const m = p.re.exec(key)
    if (m) return { key, ...p.info(m) }
  }
  return { key, label: key, section: 'other', unit: '', direction: 'neither' }
}

export const metricDirection = (key: string): MetricDirection => metricInfo(key).direction

/**
 * The panels Compare opens with (the paper's Figure 2 and its planning ratio): accuracy, semantic
 * entropy, token entropy by class, relative perplexity by class, length and planning ratio.
 */
export const PAPER_METRICS = ['accuracy', 'semantic_entropy', 'token_entropy_planning', 'token_entropy_execution',
  'relative_perplexity_planning', 'relative_perplexity_execution', 'length', 'planning_ratio'] as const

/** Keys by section, in section order, each section's keys in registry order then alphabetical. */
export function groupBySection(keys: readonly string[]): { id: MetricSection; label: string; keys: string[] }[] {
  const order = Object.keys(EXACT)
  const rank = (k: string) => { const i = order.indexOf(k); return i < 0 ? order.length : i }
  return METRIC_SECTIONS.map((s) => ({
    id: s.id, label: s.label,
    keys: keys.filter((k) => metricInfo(k).section === s.id).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
  })).filter((s) => s.keys.length > 0)
}
