import { readFileSync } from 'node:fs'
import type { Command } from '../command'
import { UsageError } from '../command'
import { intOption, parse } from '../args'
import { progressPrinter } from '../format'
import { defaultDbPath } from '../paths'
import { call, withBackend } from '../client'
import { ALGOS, BACKENDS, TASKS } from '../../engine/config'
import { trainOutcome, type TrainOutcome } from '../../main/train/runner'
import { CACHED_BASE_MESSAGE } from '../../main/train/warmupMessage'
import { backendLine } from '../../engine/webgpuAdapter'
import type { BackendDetail } from '../../engine/protocol'

function choice<T extends string>(v: string | undefined, name: string, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got '${v}'`)
  return v as T
}

function readConfig(file: string | undefined): Record<string, unknown> {
  if (!file) return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    throw new UsageError(`--config ${file}: ${(e as Error).message}`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError(`--config ${file}: expected a JSON object`)
  return parsed as Record<string, unknown>
}

const fmt = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(3))

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a small policy with GRPO, entropy-regularized GRPO, HICRA or the high-entropy baseline',
  usage: `hicra train [--task ${TASKS.join('|')}] [--algo ${ALGOS.join('|')}] [--steps N] [--seed S]
            [--base-seed S] [--db FILE] [--config file.json] [--backend ${BACKENDS.join('|')}] [--name NAME] [--json]
       hicra train --resume RUN_ID [--db FILE] [--json]

Trains in a worker thread on the best tfjs backend that loads (tensorflow GPU, tensorflow CPU,
wasm, cpu), after a supervised warm-up on a noisy teacher that makes the base policy (cached per
task, model, warm-up settings, base seed and backend; the warm-up shows its steps, rate and ETA,
and a cached base is reported as reused). Every step's SPEC §4 metrics, rollouts (with per-token arrays and true error types)
and periodic test evaluations go into the workspace database. Ctrl-C stops after the current step
and saves a checkpoint; --resume continues a stopped or interrupted run from it.

  --config FILE   a JSON training config (see docs/engine.md); the flags below override it
  --task T        synthetic task (default route); strategy has its own model and warm-up
                  defaults (docs/engine.md)
  --algo A        grpo, entropy (β_ent 0.001), hicra (α 0.2) or highent (top 20% entropy tokens)
  --steps N       RL steps (default 100)
  --seed S        seed of the RL run: its problems and samples; also of the base policy unless
                  --base-seed is given (default 1)
  --base-seed S   seed of the base policy: initial weights and warm-up data (config warmup.seed).
                  Runs with one base seed share one cached base, so their --seed varies only the
                  RL run (the paper's protocol: one base model, several RL runs)
  --backend B     force a tfjs backend (default auto)
  --db FILE       workspace database (default: ${defaultDbPath()})
  --json          one JSON line per step on stdout: {"step", "metrics"}`,
  async run(argv) {
    const { values } = parse(argv, {
      db: { type: 'string' }, config: { type: 'string' }, task: { type: 'string' }, algo: { type: 'string' },
      steps: { type: 'string' }, seed: { type: 'string' }, 'base-seed': { type: 'string' }, backend: { type: 'string' }, name: { type: 'string' },
      json: { type: 'boolean' }, resume: { type: 'string' }
    }, false)
    if (values.help) {
      console.log(this.usage)
      return 0
    }
    const config: Record<string, unknown> = readConfig(values.config)
    const task = choice(values.task, 'task', TASKS)
    const algo = choice(values.algo, 'algo', ALGOS)
    const backendChoice = choice(values.backend, 'backend', BACKENDS)
    const steps = intOption(values.steps, 'steps', 1)
    const seed = intOption(values.seed, 'seed', 0, 2 ** 31 - 1)
    const baseSeed = intOption(values['base-seed'], 'base-seed', 0, 2 ** 31 - 1)
    const resumeId = intOption(values.resume, 'resume', 1)
    if (task) config.task = task
    if (algo) config.algo = algo
    if (backendChoice) config.backend = backendChoice
    if (steps !== undefined) config.steps = steps
    if (seed !== undefined) config.seed = seed
    if (baseSeed !== undefined) {
      const w = config.warmup
      config.warmup = { ...(typeof w === 'object' && w !== null && !Array.isArray(w) ? w : {}), seed: baseSeed }
    }

    return withBackend(values.db, async (backend) => {
      const bar = progressPrinter('training')
      let runId = 0
      let jobId = 0
      const offs = [
        backend.ctx.events.on('jobs/progress', (p) => {
          if (p.jobId !== jobId || p.status !== 'running') return
          // Say once, even with --json, whether a base policy is being trained or was reused.
          const m = p.message ?? ''
          if (!saidBase && (m.startsWith(CACHED_BASE_MESSAGE) || m.startsWith('warm-up of the base policy'))) {
            saidBase = true
            process.stderr.write(`hicra train: ${m}\n`)
          }
          if (!values.json) bar.update(p)
        }),
        backend.ctx.events.on('train/step', (e) => {
          if (e.runId === runId && values.json) process.stdout.write(JSON.stringify({ runId: e.runId, step: e.step, metrics: e.metrics }) + '\n')
        }),
        backend.ctx.events.on('runs/changed', (e) => {
          if (e.runId !== runId) return
          const run = backend.ctx.store.runs.get(runId)
          if (run?.backend && !announced) {
            announced = true
            // The adapter of webgpu, and why each better backend was skipped.
            const detail = (backend.ctx.store.runs.detail(runId)?.config as { backendDetail?: BackendDetail } | null)?.backendDetail
            process.stderr.write(`hicra train: run ${runId} on tfjs backend ${detail ? backendLine(run.backend, detail) : run.backend}\n`)
          }
        })
      ]
      let announced = false
      let saidBase = false
      let stops = 0
      const onSigint = () => {
        stops++
        if (stops > 1) process.exit(130)
        process.stderr.write('\nhicra train: stopping after this step (Ctrl-C again to quit at once)\n')
        if (runId) void call(backend, 'train/stop', { runId }).catch(() => undefined)
      }
      process.on('SIGINT', onSigint)
      try {
        if (resumeId !== undefined) {
          const r = await call(backend, 'train/resume', { runId: resumeId })
          runId = resumeId
          jobId = r.jobId ?? 0
        } else {
          const r = await call(backend, 'train/start', { config, ...(values.name ? { name: values.name } : {}) })
          runId = r.runId
          jobId = r.jobId
        }
        let outcome: TrainOutcome
        try {
          outcome = await trainOutcome(runId)!
        } catch (err) {
          bar.end()
          console.error(`hicra train: run ${runId} failed: ${(err as Error).message}`)
          return 1
        }
        bar.end()
        const last = backend.ctx.store.metrics.series({ runId, key: 'accuracy', maxPoints: 1_000_000 })
        const test = backend.ctx.store.metrics.series({ runId, key: 'test_pass_at_1', maxPoints: 1_000_000 })
        const summary = `run ${runId} ${outcome.status} at step ${outcome.lastStep} on ${outcome.backend}: ` +
          `accuracy ${fmt(last.last[last.last.length - 1])}, test Pass@1 ${fmt(test.last[test.last.length - 1])}`
        if (values.json) process.stderr.write(summary + '\n')
        else console.log(summary)
        return outcome.status === 'stopped' ? 130 : 0
      } finally {
        for (const off of offs) off()
        process.off('SIGINT', onSigint)
      }
    })
  }
}
