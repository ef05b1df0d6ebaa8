import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { formatInterval } from '../../shared/api/experiments'
import type { BackendContext } from '../context'
import { armCurve } from './curves'
import { loadExperimentData, mergeExperiments, type ExperimentData } from './data'
import { correlation, movement, pairedWindow, windowsFor } from './dynamics'
import { renderFigure } from './figures'
import { LEVEL, statsOf, TEST_KEY } from './stats'

// `hicra experiment report`: report.md and its SVG figures, from the same statistics the app's
// Experiments view shows (experiments/stats).

/** Training metrics are averaged over this many trailing steps in the figures (per run, before the seeds' mean). */
export const FIGURE_WINDOW = 5

export interface FigureDef {
  file: string
  title: string
  key: string
  yName: string
  /** Figure and column of the paper it corresponds to. */
  paper: string
  window: number
}

export const FIGURES: FigureDef[] = [
  { file: 'test-pass-at-1.svg', title: 'Test Pass@1', key: TEST_KEY, yName: 'Pass@1', paper: 'Table 1', window: 1 },
  { file: 'fig2-relperp-execution.svg', title: 'Relative perplexity, execution tokens', key: 'relative_perplexity_execution', yName: 'relative perplexity', paper: 'Fig. 2 col. 1', window: FIGURE_WINDOW },
  { file: 'fig2-relperp-planning.svg', title: 'Relative perplexity, planning tokens', key: 'relative_perplexity_planning', yName: 'relative perplexity', paper: 'Fig. 2 col. 1', window: FIGURE_WINDOW },
  { file: 'fig2-entropy-execution.svg', title: 'Token entropy, execution tokens', key: 'token_entropy_execution', yName: 'entropy (nats)', paper: 'Fig. 2 col. 2', window: FIGURE_WINDOW },
  { file: 'fig2-entropy-planning.svg', title: 'Token entropy, planning tokens', key: 'token_entropy_planning', yName: 'entropy (nats)', paper: 'Fig. 2 col. 2', window: FIGURE_WINDOW },
  { file: 'fig2-semantic-entropy.svg', title: 'Semantic entropy of Strategic Grams', key: 'semantic_entropy', yName: 'nats', paper: 'Fig. 2 col. 3', window: FIGURE_WINDOW },
  { file: 'fig2-conditional-entropy.svg', title: 'Conditional entropy', key: 'conditional_entropy', yName: 'nats', paper: 'Fig. 2 col. 3', window: FIGURE_WINDOW },
  { file: 'fig2-accuracy.svg', title: 'Training accuracy', key: 'accuracy', yName: 'accuracy', paper: 'Fig. 2 col. 4', window: FIGURE_WINDOW },
  { file: 'fig2-length.svg', title: 'Response length', key: 'length', yName: 'tokens', paper: 'Fig. 2 col. 4', window: FIGURE_WINDOW },
  { file: 'fig3-error-planning.svg', title: 'Planning errors (share of responses)', key: 'error_planning', yName: 'share', paper: 'Fig. 3', window: FIGURE_WINDOW },
  { file: 'fig3-error-calculation.svg', title: 'Calculation errors (share of responses)', key: 'error_calculation', yName: 'share', paper: 'Fig. 3', window: FIGURE_WINDOW },
  { file: 'fig3-error-format.svg', title: 'Format errors (share of responses)', key: 'error_format', yName: 'share', paper: 'Fig. 3', window: FIGURE_WINDOW },
  { file: 'fig8-high-entropy-planning-share.svg', title: 'Planning share of high-entropy tokens', key: 'high_entropy_planning_share', yName: 'share', paper: 'Fig. 8', window: FIGURE_WINDOW },
  { file: 'fig8-planning-high-entropy-share.svg', title: 'High-entropy share of planning tokens', key: 'planning_high_entropy_share', yName: 'share', paper: 'Fig. 8', window: FIGURE_WINDOW }
]

/** Metrics whose early/late movement the report tabulates (question 1 of the study). */
export const DYNAMICS_KEYS = ['relative_perplexity_execution', 'relative_perplexity_planning', 'token_entropy_execution',
  'token_entropy_planning', 'semantic_entropy', 'conditional_entropy', 'accuracy', 'error_planning', 'error_calculation']

/** Metrics whose end-of-training window each arm is compared on against the baseline, paired by seed. */
export const ENDPOINT_KEYS = ['token_entropy', 'token_entropy_execution', 'token_entropy_planning', 'semantic_entropy', 'accuracy',
  'error_planning', 'error_calculation', 'length']

const REPORT_KEYS = [...new Set([...FIGURES.map((f) => f.key), ...DYNAMICS_KEYS, ...ENDPOINT_KEYS, 'test_error_planning', 'test_error_calculation', 'test_error_format'])]

const dur = (s: number | null) => (s === null ? '–' : s >= 3600 ? `${(s / 3600).toFixed(2)} h` : s >= 60 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(0)} s`)

export function reportData(ctx: BackendContext, id: number | readonly number[], opts: ReportOptions = {}): ExperimentData {
  const ids = typeof id === 'number' ? [id] : id
  const data = mergeExperiments(ids.map((i) => loadExperimentData(ctx, i, REPORT_KEYS)))
  if (!opts.arms) return data
  const known = data.arms.map((a) => a.arm)
  const unknown = opts.arms.filter((a) => !known.includes(a))
  if (unknown.length > 0) throw new Error(`no arm ${unknown.map((a) => `'${a}'`).join(', ')} in this report (arms: ${known.map((a) => `'${a}'`).join(', ')})`)
  const arms = data.arms.filter((a) => opts.arms!.includes(a.arm))
  const baseline = data.baseline && opts.arms.includes(data.baseline) ? data.baseline : null
  return { ...data, arms, baseline, sources: data.sources.map((x) => ({ ...x, arms: x.arms.filter((a) => opts.arms!.includes(a)) })) }
}

export interface ReportOptions {
  /** Only these arms (names as the report shows them); the baseline stays if it is among them. */
  arms?: readonly string[]
}

/** The markdown of the report (figures referenced by file name, beside it). */
export function reportMarkdown(data: ExperimentData, figures: readonly FigureDef[]): string {
  const stats = statsOf(data)
  const { experiment: e, spec } = data
  const cells = data.arms.flatMap((a) => a.cells.map((c) => ({ ...c, arm: a.arm })))
  const completed = cells.filter((c) => c.status === 'completed')
  const partial = completed.length < cells.length
  const first = data.arms[0]?.cells[0]
  const steps = Math.max(...cells.map((c) => c.steps))
  const w = windowsFor(steps)
  const lines: string[] = []
  lines.push(`# ${data.sources.length > 1 ? `Experiments ${data.sources.map((x) => x.id).join(' + ')}` : `Experiment ${e.id}`}: ${e.name}${partial ? ' (PARTIAL)' : ''}`, '')
  if (data.sources.length > 1) {
    lines.push(`Read as one experiment: ${data.sources.map((x) => `${x.id} \`${x.name}\` (arms ${x.arms.map((a) => `\`${a}\``).join(', ')})`).join('; ')}.` +
      ' Every run of one seed starts from the same base policy in all of them (checked), so the Δ columns pair runs across the experiments.', '')
  }
  if (spec.description) lines.push(spec.description, '')
  lines.push(`Status: **${e.status}**, ${completed.length} of ${cells.length} runs completed.` +
    (partial ? ` This report is partial: only completed runs enter the statistics (${data.arms.map((a) => `${a.arm}: seeds ${a.cells.filter((c) => c.status === 'completed').map((c) => c.seed).join(', ') || 'none'}`).join('; ')}).` : ''), '')
  lines.push('## Setup', '')
  lines.push(`Arms: ${data.arms.map((a) => `\`${a.arm}\` (${a.algo}, task ${a.task})`).join(', ')}. Seeds: ${spec.seeds.join(', ')}.` +
    ` Baseline of the Δ columns: ${stats.baseline ? `\`${stats.baseline}\`` : 'none (no GRPO arm)'}.`, '')
  if (first) {
    const c = first.config
    lines.push(`Every run: ${c.steps} RL steps of ${c.batchPrompts} prompts × ${c.groupSize} responses, model ${c.model?.layers} layers × ${c.model?.dModel} wide` +
      ` (${c.model?.heads} heads, context ${c.model?.context}), RL lr ${c.lr}, warm-up ${c.warmup?.steps} steps × ${c.warmup?.batchSize} on a teacher with` +
      ` strategy errors ${c.warmup?.strategyErrorRate}, execution errors ${c.warmup?.executionErrorRate}, reflection ${c.warmup?.reflectionRate};` +
      ` test evaluation every ${c.eval?.every} steps on ${c.eval?.problems} held-out problems × ${c.eval?.samples} samples (T ${c.eval?.temperature}), backend ${c.backend}.` +
      (new Set(cells.map((x) => x.config.warmup.seed ?? x.config.seed)).size === 1 && cells.length > 1
        ? ` All runs start from one warmed-up base policy (warm-up seed ${c.warmup.seed ?? c.seed}); the RL seed varies the problems drawn and the sampling, and pairs the arms.`
        : ' The runs of one seed start from the same warmed-up base policy (the engine caches it by task, model, warm-up, seed and backend).'), '')
  }
  lines.push(`Intervals: ${Math.round(LEVEL * 100)}% two-sided Student-t intervals over seeds, mean ± t(0.975, n−1)·sd/√n with n = completed seeds.` +
    ' Δ columns are paired: per seed the arm minus the baseline (both trained from that seed\'s base policy), then the t interval of those differences.' +
    ' The area under the test curve is the trapezoid area of test Pass@1 over the evaluated steps divided by their span (a mean Pass@1 over training).', '')
  lines.push('## Table 1', '')
  lines.push('| arm | seeds | final test Pass@1 | Δ vs baseline (paired) | area under test curve | Δ area (paired) | final train accuracy | time per run | time, all runs |')
  lines.push('|---|---|---|---|---|---|---|---|---|')
  for (const a of stats.arms) {
    lines.push(`| \`${a.arm}\` | ${a.completedSeeds.length}/${a.seeds.length} | ${formatInterval(a.finalTestPass1)} | ${formatInterval(a.deltaVsBaseline, true)} |` +
      ` ${formatInterval(a.testArea)} | ${formatInterval(a.deltaAreaVsBaseline, true)} | ${formatInterval(a.finalAccuracy)} | ${dur(a.meanRunSeconds)} | ${dur(a.totalSeconds)} |`)
  }
  lines.push('', 'Time is the wall-clock time each run\'s worker was alive (warm-up included: the first run of a seed trains the base policy, later ones load it from the cache).', '')
  lines.push('## Dynamics', '')
  lines.push(`Window means of the training metrics over steps ${w.start[0]}–${w.start[1]} (start), ${w.third[0]}–${w.third[1]} (a third in) and` +
    ` ${w.end[0]}–${w.end[1]} (end), per run; "early" is third − start and "late" is end − third, with intervals over seeds.`, '')
  lines.push('| arm | metric | start | a third in | end | early change | late change | early change, relative |')
  lines.push('|---|---|---|---|---|---|---|---|')
  for (const arm of data.arms) {
    for (const key of DYNAMICS_KEYS) {
      const m = movement(arm, key, w)
      if (m.start.n === 0) continue
      lines.push(`| \`${arm.arm}\` | ${key} | ${formatInterval(m.start)} | ${formatInterval(m.third)} | ${formatInterval(m.end)} | ${formatInterval(m.early, true)} | ${formatInterval(m.late, true)} | ${formatInterval(m.earlyRel, true)} |`)
    }
  }
  lines.push('', 'Correlation over steps (Pearson r per run, then the interval over seeds):', '')
  lines.push('| arm | r(semantic entropy, accuracy) | r(semantic entropy, test Pass@1) |')
  lines.push('|---|---|---|')
  for (const arm of data.arms) {
    lines.push(`| \`${arm.arm}\` | ${formatInterval(correlation(arm, 'semantic_entropy', 'accuracy'), true)} | ${formatInterval(correlation(arm, 'semantic_entropy', TEST_KEY), true)} |`)
  }
  const base = data.arms.find((a) => a.arm === stats.baseline)
  if (base) {
    lines.push('', `End of training against \`${base.arm}\`: the mean of steps ${w.end[0]}–${w.end[1]} per run, arm minus baseline paired by seed, with the t interval of those differences.`, '')
    lines.push(`| arm | ${ENDPOINT_KEYS.join(' | ')} |`)
    lines.push(`|---|${ENDPOINT_KEYS.map(() => '---').join('|')}|`)
    for (const arm of data.arms) {
      if (arm === base) continue
      lines.push(`| \`${arm.arm}\` | ${ENDPOINT_KEYS.map((k) => formatInterval(pairedWindow(arm, base, k, w.end), true)).join(' | ')} |`)
    }
  }
  lines.push('', '## Figures', '')
  lines.push(`Each arm: the mean over its completed seeds with the ${Math.round(LEVEL * 100)}% Student-t band.` +
    ` Training metrics are first averaged per run over a trailing window of ${FIGURE_WINDOW} steps; test Pass@1 is drawn as evaluated.`, '')
  for (const f of figures) lines.push(`**${f.title}** (${f.paper}, \`${f.key}\`)`, '', `![${f.title}](${f.file})`, '')
  lines.push('## Runs', '')
  lines.push('| arm | seed | run | status | last step | time |')
  lines.push('|---|---|---|---|---|---|')
  for (const c of cells) lines.push(`| \`${c.arm}\` | ${c.seed} | ${c.runId ?? '–'} | ${c.status} | ${c.lastStep ?? '–'} | ${dur(c.elapsedS)} |`)
  lines.push('')
  return lines.join('\n')
}

export interface WrittenReport {
  markdown: string
  figures: string[]
}

/** Writes the report of one experiment, or of several read as one (`mergeExperiments`). */
export async function writeReport(ctx: BackendContext, id: number | readonly number[], outDir: string, opts: ReportOptions = {}): Promise<WrittenReport> {
  const data = reportData(ctx, id, opts)
  mkdirSync(outDir, { recursive: true })
  const written: string[] = []
  const drawn: FigureDef[] = []
  for (const f of FIGURES) {
    const curves = data.arms.map((a) => armCurve(a, f.key, f.window)).filter((c) => c.step.length > 0)
    if (curves.length === 0) continue
    const path = join(outDir, f.file)
    writeFileSync(path, renderFigure({ title: f.title, yName: f.yName, curves }))
    written.push(path)
    drawn.push(f)
  }
  const md = join(outDir, 'report.md')
  writeFileSync(md, reportMarkdown(data, drawn))
  return { markdown: md, figures: written }
}
