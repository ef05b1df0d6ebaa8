import { availableParallelism } from 'node:os'
import type { TrainConfig } from '../../engine/config'
import type { ExperimentProgress, ExperimentStatus } from '../../shared/api/experiments'
import type { BackendContext } from '../context'
import type { JobHandle } from '../jobs'
import { launch, liveRun } from '../train/runner'
import type { StoredCell } from '../store/experiments'
import { baseKey } from './spec'
import { GridEta } from './eta'

// Runs an experiment's cells N at a time, each as an ordinary training run (its own worker thread
// and job). Resumable by construction: a cell's run is recorded before it starts, a finished run is
// never touched again, and a run that was stopped or whose process died restarts from its last
// checkpoint through the trainer's resume (a run stopped before its first checkpoint starts over
// from the cached base policy). Failed runs (a diverged loss) are not retried: they would fail again.

export interface ExperimentOutcome {
  experimentId: number
  status: ExperimentStatus
  completed: number
  failed: number
  total: number
}

interface Live {
  experimentId: number
  jobId: number
  stopRequested: boolean
  done: Promise<ExperimentOutcome>
}

const live = new Map<number, Live>()

export function liveExperiment(id: number): Live | undefined {
  return live.get(id)
}

export function experimentOutcome(id: number): Promise<ExperimentOutcome> | undefined {
  return live.get(id)?.done
}

/** Runs at once by default: one per core (each training worker keeps one core busy on wasm). */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism())
}

const RESUMABLE = new Set(['created', 'interrupted', 'stopped', 'paused', 'pending'])

/** Starts the experiment as a job; the returned entry's promise settles when every cell is done or it stopped. */
export function startExperiment(ctx: BackendContext, experimentId: number, workers = defaultWorkers()): Live {
  const existing = live.get(experimentId)
  if (existing) return existing
  const entry: Live = { experimentId, jobId: 0, stopRequested: false, done: Promise.resolve(null as never) }
  live.set(experimentId, entry)
  const total = ctx.store.experiments.cells(experimentId).length
  const job = ctx.jobs.run('experiment', { unit: 'runs', total, params: { experimentId, workers } }, (h) => drive(ctx, experimentId, workers, h, entry))
  entry.jobId = job.jobId
  entry.done = job.done
  void job.done.catch(() => undefined).finally(() => {
    if (live.get(experimentId) === entry) live.delete(experimentId)
  })
  return entry
}

async function drive(ctx: BackendContext, experimentId: number, workers: number, h: JobHandle, entry: Live): Promise<ExperimentOutcome> {
  const repo = ctx.store.experiments
  repo.setStatus(experimentId, 'running', process.pid)
  const cells = repo.cells(experimentId)
  const todo: StoredCell[] = []
  for (const c of cells) {
    if (c.status === 'completed' || c.status === 'failed') continue
    // A run owned by another live process (a second `experiment run` of the same grid) is left to it.
    if (c.status === 'running' && c.runId !== null && !liveRun(c.runId)) continue
    if (RESUMABLE.has(c.status) || c.runId === null) todo.push(c)
  }
  const stepsTotal = cells.reduce((s, c) => s + c.steps, 0)
  const doneSteps = new Map<number, number>(cells.map((c) => [c.idx, c.status === 'completed' ? c.steps : Math.max(0, c.lastStep ?? 0)]))
  const startedSteps = [...doneSteps.values()].reduce((a, b) => a + b, 0)
  const gridEta = new GridEta(startedSteps, stepsTotal)
  const running = new Map<number, ExperimentProgress['running'][number]>()
  const warmed = new Set<string>(cells.filter((c) => c.status === 'completed' || (c.lastStep ?? 0) > 0).map((c) => baseKey(c.config as TrainConfig)))
  const warming = new Set<string>()
  let runsDone = cells.filter((c) => c.status === 'completed' || c.status === 'failed').length
  let failed = cells.filter((c) => c.status === 'failed').length
  let lastEmit = 0
  /** Starts waiting cells; set once the pool runs (a base policy that became ready frees cells). */
  let kick = () => {}

  const progress = (force: boolean, ended?: ExperimentProgress['ended']) => {
    const now = Date.now()
    if (!force && now - lastEmit < 500) return
    lastEmit = now
    const stepsDone = [...doneSteps.values()].reduce((a, b) => a + b, 0)
    const eta = gridEta.eta(now, stepsDone)
    const p: ExperimentProgress = {
      experimentId, status: 'running', runsDone, runsTotal: cells.length, stepsDone, stepsTotal, etaSeconds: eta,
      running: [...running.values()], ...(ended ? { ended } : {})
    }
    ctx.events.emit('experiments/progress', p)
    h.progress(runsDone, cells.length, `${runsDone}/${cells.length} runs, ${stepsDone}/${stepsTotal} steps`)
  }

  const offStep = ctx.events.on('train/step', (e) => {
    for (const r of running.values()) {
      if (r.runId !== e.runId) continue
      r.step = e.step
      const acc = e.metrics.accuracy
      r.message = acc === undefined ? null : `accuracy ${acc.toFixed(3)}`
      doneSteps.set(r.idx, e.step)
      const c = cells.find((x) => x.idx === r.idx)!
      const key = baseKey(c.config as TrainConfig)
      if (!warmed.has(key)) {
        warmed.add(key)
        warming.delete(key)
        kick()
      }
      progress(false)
    }
  })
  const offJob = ctx.events.on('jobs/progress', (p) => {
    for (const r of running.values()) {
      if (r.runId === p.runId && p.kind === 'train' && p.message && p.status === 'running' && r.step === 0) {
        r.message = p.message
        progress(false)
      }
    }
  })

  const runCell = async (c: StoredCell): Promise<void> => {
    const config = c.config as TrainConfig
    let runId = c.runId
    let resume = true
    if (runId === null) {
      const spec = repo.get(experimentId)!
      // The run and its cell are written together: a kill in between cannot leave a run no cell knows.
      runId = ctx.store.db.transaction(() => {
        const run = ctx.store.runs.create({
          name: `${spec.name} ${c.arm} seed ${c.seed}`,
          kind: 'train',
          status: 'created',
          tags: [`experiment:${experimentId}`, `arm:${c.arm}`, config.task, config.algo],
          config
        })
        repo.setRun(experimentId, c.idx, run.id)
        return run.id
      })()
      ctx.events.emit('runs/changed', { runId, change: 'created' })
      resume = false
    }
    running.set(c.idx, { idx: c.idx, arm: c.arm, seed: c.seed, runId, step: Math.max(0, c.lastStep ?? 0), total: c.steps, message: null })
    progress(true)
    const started = Date.now()
    let status = 'completed'
    try {
      const outcome = await launch(ctx, runId, config, resume).done
      status = outcome.status
    } catch {
      status = ctx.store.runs.get(runId)?.status ?? 'failed'
    }
    const seconds = (Date.now() - started) / 1000
    repo.addElapsed(experimentId, c.idx, seconds)
    running.delete(c.idx)
    warming.delete(baseKey(config))
    if (status === 'completed') {
      doneSteps.set(c.idx, c.steps)
      warmed.add(baseKey(config))
    }
    if (status === 'completed' || status === 'failed') runsDone++
    if (status === 'failed') failed++
    progress(true, { idx: c.idx, arm: c.arm, seed: c.seed, runId, status, seconds })
  }

  h.signal.addEventListener('abort', () => {
    entry.stopRequested = true
    for (const r of running.values()) liveRun(r.runId)?.worker?.send({ type: 'stop' })
  })

  // A cell waits while another run is warming up its base policy: the second would only redo it.
  const nextCell = (): StoredCell | undefined => {
    const i = todo.findIndex((c) => {
      const key = baseKey(c.config as TrainConfig)
      return warmed.has(key) || !warming.has(key)
    })
    return i < 0 ? undefined : todo.splice(i, 1)[0]
  }

  try {
    await new Promise<void>((resolve) => {
      const inflight = new Set<Promise<void>>()
      const pump = () => {
        while (!entry.stopRequested && inflight.size < workers) {
          const c = nextCell()
          if (!c) break
          const key = baseKey(c.config as TrainConfig)
          if (!warmed.has(key)) warming.add(key)
          const p = runCell(c).catch((e) => {
            console.error(`experiment ${experimentId}: cell ${c.idx} (${c.arm} seed ${c.seed}): ${(e as Error).message}`)
          }).finally(() => {
            inflight.delete(p)
            pump()
          })
          inflight.add(p)
        }
        if (inflight.size === 0) resolve()
      }
      kick = pump
      pump()
    })
  } finally {
    offStep()
    offJob()
  }
  const after = repo.cells(experimentId)
  const completed = after.filter((c) => c.status === 'completed').length
  const status: ExperimentStatus = entry.stopRequested ? 'stopped'
    : completed === after.length ? 'completed'
      : after.some((c) => c.status === 'failed') && after.every((c) => c.status === 'completed' || c.status === 'failed') ? 'failed'
        : 'interrupted'
  repo.setStatus(experimentId, status)
  ctx.events.emit('experiments/progress', {
    experimentId, status, runsDone, runsTotal: cells.length, stepsDone: [...doneSteps.values()].reduce((a, b) => a + b, 0),
    stepsTotal, etaSeconds: null, running: []
  })
  return { experimentId, status, completed, failed, total: after.length }
}
