import { readFileSync } from 'node:fs'
import type { Command } from '../command'
import { UsageError } from '../command'
import { intOption, parse } from '../args'
import { formatDuration, table } from '../format'
import { defaultDbPath } from '../paths'
import { call, withBackend } from '../client'
import { experimentOutcome } from '../../main/experiments/run'
import { PRESET_NAMES } from '../../main/experiments/presets'
import { parseSpecText } from '../../main/experiments/spec'
import type { ExperimentProgress } from '../../shared/api/experiments'

const usage = `hicra experiment run PRESET|FILE [--db FILE] [--workers N] [--new] [--json]
       hicra experiment list [--db FILE] [--json]
       hicra experiment report ID [ID...] --out DIR [--arms A,B,...] [--db FILE]

An experiment is a grid of training runs: arms × grid axes (any config key) × seeds, each run an
ordinary training run of the workspace, tagged experiment:ID and arm:NAME. Presets: ${PRESET_NAMES.join(', ')}
(resources/experiments/); FILE is a JSON spec of the same shape.

  run      starts the grid, N runs at a time, one line per run and the grid's ETA on stderr.
           Running the same spec again continues its experiment: finished runs stay as they are,
           interrupted or stopped ones resume from their last checkpoint (Ctrl-C stops them after
           the current step and saves one). --new starts a fresh experiment of the same spec.
           --json: the last stdout line is {"experimentId", "status", ...}.
  list     the workspace's experiments
  report   DIR/report.md with SVG figures beside it: per arm the final test Pass@1 and the area
           under the test curve with 95% Student-t intervals over seeds, the paired Δ against the
           baseline arm, and the paper's dynamics (Figures 2, 3 and 8, Table 1). Several IDs
           are read as one experiment (arms run apart, e.g. extra α values against the first
           grid's GRPO arm), if every seed starts from the same base policy in all of them.
           --arms A,B,... reports only those arms.

  --workers N   runs at a time (default: one per core)
  --db FILE     workspace database (default: ${defaultDbPath()})`

function readSpec(arg: string): { preset?: string; spec?: Record<string, unknown> } {
  if (PRESET_NAMES.includes(arg)) return { preset: arg }
  let text: string
  try {
    text = readFileSync(arg, 'utf8')
  } catch (e) {
    throw new UsageError(`'${arg}' is neither a preset (${PRESET_NAMES.join(', ')}) nor a readable file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
  }
  // Parsed here so that a syntax error names the file's line and column (the back end checks it again).
  return { spec: parseSpecText(text, arg) as unknown as Record<string, unknown> }
}

function runLine(p: ExperimentProgress): string {
  const eta = p.etaSeconds === null ? '?' : formatDuration(p.etaSeconds)
  const pct = p.stepsTotal ? ((100 * p.stepsDone) / p.stepsTotal).toFixed(1) : '0.0'
  return `grid ${p.runsDone}/${p.runsTotal} runs, ${pct}% of steps, ETA ${eta}`
}

export const experimentCommand: Command = {
  name: 'experiment',
  summary: 'run a grid of training runs (arms × seeds × any config key), list experiments, write a report with intervals',
  usage,
  async run(argv) {
    const [sub, ...rest] = argv
    if (!sub || sub === '--help' || sub === '-h') {
      console.log(usage)
      return sub ? 0 : 2
    }
    if (sub === 'list') {
      const { values } = parse(rest, { db: { type: 'string' }, json: { type: 'boolean' } }, false)
      if (values.help) { console.log(usage); return 0 }
      return withBackend(values.db, async (backend) => {
        const list = await call(backend, 'experiments/list', {})
        if (values.json) console.log(JSON.stringify(list))
        else if (list.length === 0) console.log('no experiments in this workspace')
        else console.log(table(['id', 'name', 'status', 'runs', 'arms', 'seeds'], list.map((e) => [e.id, e.name, e.status,
          `${e.completedRuns}/${e.runs}`, e.arms.join(', '), e.seeds.join(',')])))
        return 0
      })
    }
    if (sub === 'report') {
      const { values, positionals } = parse(rest, { db: { type: 'string' }, out: { type: 'string' }, arms: { type: 'string' } })
      if (values.help) { console.log(usage); return 0 }
      if (positionals.length === 0) throw new UsageError('report needs an experiment ID')
      const arms = values.arms === undefined ? undefined : values.arms.split(',').map((a) => a.trim()).filter(Boolean)
      if (arms && arms.length === 0) throw new UsageError('--arms needs at least one arm name')
      const ids = positionals.map((p) => intOption(p, 'ID', 1)!)
      if (!values.out) throw new UsageError('report needs --out DIR')
      const { writeReport } = await import('../../main/experiments/report')
      return withBackend(values.db, async (backend) => {
        const missing = ids.find((id) => !backend.ctx.store.experiments.get(id))
        if (missing !== undefined) {
          console.error(`hicra experiment: experiment ${missing} does not exist`)
          return 1
        }
        const r = await writeReport(backend.ctx, ids.length === 1 ? ids[0] : ids, values.out!, { arms })
        console.log(`wrote ${r.markdown} and ${r.figures.length} figures`)
        return 0
      })
    }
    if (sub !== 'run') throw new UsageError(`unknown subcommand '${sub}' (run, list, report)`)
    const { values, positionals } = parse(rest, {
      db: { type: 'string' }, workers: { type: 'string' }, json: { type: 'boolean' }, new: { type: 'boolean' }
    })
    if (values.help) { console.log(usage); return 0 }
    if (positionals.length !== 1) throw new UsageError('run needs one PRESET or FILE')
    const workers = intOption(values.workers, 'workers', 1, 64)
    const source = readSpec(positionals[0]!)
    return withBackend(values.db, async (backend) => {
      const ctx = backend.ctx
      let experimentId = 0
      let lastGrid = 0
      const tty = process.stderr.isTTY === true
      const off = ctx.events.on('experiments/progress', (p) => {
        if (p.experimentId !== experimentId) return
        const now = Date.now()
        if (p.ended) {
          process.stderr.write(`run ${p.ended.runId} ${p.ended.arm} seed ${p.ended.seed}: ${p.ended.status} after ${formatDuration(p.ended.seconds)} | ${runLine(p)}\n`)
          lastGrid = now
          return
        }
        // One line per running run and one for the grid, every few seconds (more often on a terminal).
        if (now - lastGrid < (tty ? 2000 : 15_000)) return
        lastGrid = now
        for (const r of p.running) {
          process.stderr.write(`run ${r.runId} ${r.arm} seed ${r.seed}: step ${r.step}/${r.total}${r.message ? '  ' + r.message : ''}\n`)
        }
        process.stderr.write(`${runLine(p)}\n`)
      })
      let stops = 0
      const onSigint = () => {
        stops++
        if (stops > 1) process.exit(130)
        process.stderr.write('\nhicra experiment: stopping the running runs after their current step (Ctrl-C again to quit at once); run the same command again to continue\n')
        if (experimentId) void call(backend, 'experiments/stop', { id: experimentId }).catch(() => undefined)
      }
      process.on('SIGINT', onSigint)
      process.on('SIGTERM', onSigint)
      try {
        const r = await call(backend, 'experiments/start', { ...source, fresh: values.new === true, ...(workers ? { workers } : {}) })
        experimentId = r.experimentId
        const cells = ctx.store.experiments.cells(experimentId)
        const left = cells.filter((c) => c.status !== 'completed' && c.status !== 'failed').length
        process.stderr.write(`hicra experiment: experiment ${experimentId} (${r.created ? 'new' : 'continued'}), ${cells.length} runs, ${left} to do` +
          `${r.jobId === null ? ', nothing left to run' : ''}\n`)
        let status: string = ctx.store.experiments.get(experimentId)!.status
        if (r.jobId !== null) {
          try {
            status = (await experimentOutcome(experimentId)!).status
          } catch (err) {
            status = 'failed'
            console.error(`hicra experiment: ${(err as Error).message}`)
          }
        }
        const after = ctx.store.experiments.cells(experimentId)
        const completed = after.filter((c) => c.status === 'completed').length
        const failed = after.filter((c) => c.status === 'failed').length
        const summary = `experiment ${experimentId} ${status}: ${completed}/${after.length} runs completed${failed ? `, ${failed} failed` : ''}`
        if (values.json) {
          process.stderr.write(summary + '\n')
          console.log(JSON.stringify({ experimentId, status, completed, failed, runs: after.length, runIds: after.map((c) => c.runId) }))
        } else console.log(summary)
        return status === 'completed' ? 0 : status === 'stopped' ? 130 : 1
      } finally {
        off()
        process.off('SIGINT', onSigint)
        process.off('SIGTERM', onSigint)
      }
    })
  }
}
