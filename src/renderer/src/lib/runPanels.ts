import { lengthUnitOf } from '../../../shared/tokenNote'

/**
 * The run-detail panels: the paper's Figure 2 (relative perplexity, token entropy, semantic and
 * conditional entropy, accuracy and response length) and the trainer's health (loss, clip fraction,
 * step time). Key names are SPEC §4's and the trainer's. `missing` says why a run may lack them.
 */
export interface PanelLine {
  key: string
  label: string
  color: string
  yAxis?: 0 | 1
}

export interface PanelSpec {
  id: string
  title: string
  /** Where the run page shows it: the paper's Figure 2 first, the trainer's health folded away. */
  section: 'figure2' | 'training'
  lines: PanelLine[]
  /** Axis names, left then right; a function where they depend on the run. */
  yNames?: string[] | ((run: RunLike) => string[])
  /** Why a run has none of the panel's metrics (shown instead of an empty chart). */
  missing: (run: { kind: string }) => string
}

export interface RunLike {
  kind: string
  source?: unknown
}

/**
 * What a run's `length` counts (SPEC §4: tokens where the rollouts carry token spans, else words):
 * the trainer always has tokens; an import's summary says how many rollouts came with spans.
 */
export function lengthUnit(run: RunLike): string {
  if (run.kind !== 'import') return 'tokens'
  const s = (run.source as { summary?: { rollouts?: unknown; tokenRollouts?: unknown } } | null | undefined)?.summary
  // Imports made before the summary counted them.
  if (typeof s?.tokenRollouts !== 'number' || typeof s.rollouts !== 'number') return 'tokens or words'
  return lengthUnitOf(s.tokenRollouts, s.rollouts)
}

const PLANNING = '#D55E00'
const EXECUTION = '#0072B2'
const ALL = '#555555'

const trainerOnly = (what: string) => (run: { kind: string }) =>
  run.kind === 'import'
    ? `This run was imported: ${what} is logged by the trainer, and the imported files carry none.`
    : `${what[0]!.toUpperCase()}${what.slice(1)} is logged by the trainer after each step; none is stored yet.`

export const RUN_PANELS: PanelSpec[] = [
  {
    id: 'relative-perplexity', section: 'figure2', title: 'Relative perplexity',
    lines: [
      { key: 'relative_perplexity_planning', label: 'planning', color: PLANNING },
      { key: 'relative_perplexity_execution', label: 'execution', color: EXECUTION }
    ],
    missing: () => 'This run has no per-token log-probs: relative perplexity (each token class\'s perplexity over its value at the first step) needs them.'
  },
  {
    id: 'token-entropy', section: 'figure2', title: 'Token entropy',
    lines: [
      { key: 'token_entropy_planning', label: 'planning', color: PLANNING },
      { key: 'token_entropy_execution', label: 'execution', color: EXECUTION },
      { key: 'token_entropy', label: 'all tokens', color: ALL }
    ],
    yNames: ['nats'],
    missing: () => 'This run has no per-token entropies: token entropy needs the policy\'s entropy at every response token.'
  },
  {
    id: 'semantic-entropy', section: 'figure2', title: 'Semantic and conditional entropy',
    lines: [
      { key: 'semantic_entropy', label: 'semantic entropy', color: PLANNING },
      { key: 'conditional_entropy', label: 'conditional entropy', color: EXECUTION }
    ],
    yNames: ['nats'],
    missing: () => 'This run has no Strategic Gram metrics: semantic and conditional entropy come from the Strategic Gram occurrences in its responses, and no response text was analysed.'
  },
  {
    id: 'accuracy-length', section: 'figure2', title: 'Accuracy and response length',
    lines: [
      { key: 'accuracy', label: 'accuracy', color: '#009E73' },
      { key: 'length', label: 'response length', color: '#CC79A7', yAxis: 1 }
    ],
    yNames: (run) => ['accuracy', lengthUnit(run)],
    missing: () => 'This run has no accuracy or response length: they come from its responses (text and correctness), and none is stored yet.'
  },
  { id: 'loss', section: 'training', title: 'Loss', lines: [{ key: 'loss', label: 'loss', color: ALL }], missing: trainerOnly('the loss') },
  { id: 'clip-fraction', section: 'training', title: 'Clip fraction', lines: [{ key: 'clip_fraction', label: 'clip fraction', color: ALL }], missing: trainerOnly('the clip fraction') },
  { id: 'step-time', section: 'training', title: 'Step time', lines: [{ key: 'step_time_s', label: 'seconds per step', color: ALL }], yNames: ['s'], missing: trainerOnly('the step time') }
]

/** The keys a run has that no fixed panel shows; each gets a panel of its own. */
export function otherKeys(keys: readonly string[]): string[] {
  const shown = new Set(RUN_PANELS.flatMap((p) => p.lines.map((l) => l.key)))
  return keys.filter((k) => !shown.has(k)).sort()
}
