import { mkdirSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { tmpdir } from 'node:os'
import type { TrainConfig, TrainConfigInput } from '../../engine/config'
import type { RolloutRecord, TrainStartInfo, TrainStepEvent, WorkerEvent } from '../../engine/protocol'
import { startTrainingWorker, type TrainingWorker } from '../../engine/workerHost'
import type { SgCategory } from '../../core/strategicGrams'
import type { BackendContext } from '../context'
import type { JobHandle } from '../jobs'
import { warmupMessage } from './warmupMessage'
import { takeControl } from './remote'

// Training runs in the back end: each run trains in its own worker thread (src/engine/worker.ts),
// and this side persists what it reports: the run record (backend, config, status), every step's
// metrics, the step's rollouts with their per-token arrays and true error types (source `truth`),
// and the task's Strategic Gram set. Events go out as `train/step`, `metrics/appended` and
// `jobs/progress`, so the GUI updates live.

interface LiveRun {
  runId: number
  jobId: number
  worker: TrainingWorker | null
  stopRequested: boolean
  paused: boolean
  done: Promise<TrainOutcome>
}

export interface TrainOutcome {
  runId: number
  status: 'completed' | 'stopped' | 'failed' | 'interrupted'
  lastStep: number
  error: string | null
  backend: string | null
}

const live = new Map<number, LiveRun>()
/** How often a training process looks for pause/resume/stop requests of other processes. */
const CONTROL_POLL_MS = 300

/** Checkpoints and the cached base policies live beside the workspace database. */
export function trainingWorkspace(dbPath: string): string {
  const dir = dbPath === ':memory:' || dbPath === '' ? join(tmpdir(), `hicra-train-${process.pid}`) : join(dirname(dbPath), `${basename(dbPath)}.train`)
  mkdirSync(dir, { recursive: true })
  return dir
}

export function liveRun(runId: number): LiveRun | undefined {
  return live.get(runId)
}

export function trainOutcome(runId: number): Promise<TrainOutcome> | undefined {
  return live.get(runId)?.done
}

function ensureSgSet(ctx: BackendContext, info: TrainStartInfo): { id: number; version: number } {
  const name = `task:${info.sgSet.name}`
  const existing = ctx.store.sgSets.byName(name)
  if (existing) {
    const d = ctx.store.sgSets.get(existing.id)
    return { id: d.id, version: d.version }
  }
  const grams = info.sgSet.grams.map((g) => ({ phrase: g.phrase, category: g.category as SgCategory, source: 'seed' as const }))
  const d = ctx.store.sgSets.create(name, grams, { note: `Strategic Grams of the synthetic task '${info.sgSet.name}'`, message: 'from the task' })
  return { id: d.id, version: d.version }
}

function dropStepsFrom(ctx: BackendContext, runId: number, step: number): void {
  const db = ctx.store.db
  db.transaction(() => {
    db.prepare('DELETE FROM rollouts WHERE run_id = ? AND step >= ?').run(runId, step)
    db.prepare('DELETE FROM metrics WHERE run_id = ? AND step >= ?').run(runId, step)
    db.prepare('DELETE FROM run_steps WHERE run_id = ? AND step >= ?').run(runId, step)
    // The DELETE marked the series' blocks from `step` on stale; rebuilt now, charts read them again.
    ctx.store.metrics.repair(runId)
  })()
}

function persistStep(ctx: BackendContext, runId: number, e: TrainStepEvent): void {
  const points = Object.entries(e.metrics).map(([key, value]) => ({ key, step: e.step, value }))
  const db = ctx.store.db
  db.transaction(() => {
    ctx.store.metrics.append(runId, points)
    for (const r of e.rollouts) insertRollout(ctx, runId, e.step, r)
  })()
}

function insertRollout(ctx: BackendContext, runId: number, step: number, r: RolloutRecord): void {
  const id = ctx.store.rollouts.insert(runId, {
    step,
    promptId: r.promptId,
    prompt: r.prompt,
    response: r.response,
    score: r.reward,
    correct: r.correct,
    answer: r.answer,
    gold: r.gold,
    nTokens: r.tokenIds.length,
    tokenStarts: r.tokenStarts,
    tokenEnds: r.tokenEnds,
    logprobs: r.logprobs,
    entropies: r.entropies,
    planningMask: r.planningMask,
    hasSg: r.planningMask.some((x) => x === 1)
  })
  if (r.errorType) ctx.store.rollouts.label(id, 'truth', r.errorType)
}

/**
 * Starts (or, with `resume`, restarts from its last checkpoint) the training of a run in a worker
 * thread under a job. The returned promise settles when the worker is gone.
 */
export function launch(ctx: BackendContext, runId: number, config: TrainConfig | TrainConfigInput, resume: boolean): LiveRun {
  const total = (config as TrainConfig).steps ?? null
  // The job starts its work synchronously, so the entry must exist before the job does.
  const entry: LiveRun = { runId, jobId: 0, worker: null, stopRequested: false, paused: false, done: Promise.resolve(null as never) }
  live.set(runId, entry)
  const job = ctx.jobs.run('train', { runId, unit: 'steps', total, params: { runId, resume } }, (h) => supervise(ctx, runId, config, resume, h, entry))
  entry.jobId = job.jobId
  entry.done = job.done
  void job.done.catch(() => undefined).finally(() => {
    if (live.get(runId) === entry) live.delete(runId)
  })
  return entry
}

function supervise(ctx: BackendContext, runId: number, config: unknown, resume: boolean, h: JobHandle, entry: LiveRun): Promise<TrainOutcome> {
  ctx.store.runs.update(runId, { status: 'running', error: null })
  ctx.store.runs.claim(runId)
  ctx.events.emit('runs/changed', { runId, change: 'updated' })
  let lastStep = 0
  let backend: string | null = null
  let ended: TrainOutcome | null = null
  let total: number | null = null
  let persistError: Error | null = null
  return new Promise<TrainOutcome>((resolve, reject) => {
    const onEvent = (m: WorkerEvent) => {
      try {
        handle(m)
      } catch (e) {
        // A write that failed (disk full, locked database) stops the run rather than losing data silently.
        persistError = e instanceof Error ? e : new Error(String(e))
        entry.worker?.send({ type: 'stop' })
      }
    }
    const handle = (m: WorkerEvent) => {
      switch (m.type) {
        case 'start': {
          backend = m.info.backend
          total = m.info.config.steps
          // A restarted run redoes every step after its checkpoint: drop what those steps stored before.
          if (resume) dropStepsFrom(ctx, runId, m.info.startStep)
          const sg = ensureSgSet(ctx, m.info)
          ctx.store.runs.update(runId, {
            backend: m.info.backend,
            // How the backend was chosen (its WebGPU adapter, what was skipped and why) stays with the run.
            config: { ...m.info.config, parameters: m.info.parameters, vocab: m.info.vocab, backendDetail: m.info.backendDetail },
            sgSetId: sg.id,
            sgSetVersion: sg.version
          })
          ctx.events.emit('runs/changed', { runId, change: 'updated' })
          h.progress(m.info.startStep - 1, total, resume ? `resumed at step ${m.info.startStep}` : 'starting')
          return
        }
        case 'warmup':
          // The first report, the last one and a cached base say what the run does next: never dropped.
          h.progress(0, total, warmupMessage(m.progress), m.progress.cached || m.progress.step === 0 || m.progress.step === m.progress.steps)
          return
        case 'step': {
          persistStep(ctx, runId, m.event)
          lastStep = m.event.step
          ctx.events.emit('train/step', { runId, step: m.event.step, metrics: m.event.metrics })
          ctx.events.emit('metrics/appended', { runId, steps: [m.event.step] })
          const acc = m.event.metrics.accuracy
          h.progress(m.event.step, total, acc === undefined ? null : `accuracy ${acc.toFixed(3)}`)
          return
        }
        case 'checkpoint':
          ctx.store.runs.update(runId, { source: { checkpoint: m.event.path, checkpointStep: m.event.step } })
          return
        case 'paused':
          entry.paused = m.paused
          ctx.store.runs.update(runId, { status: m.paused ? 'paused' : 'running' })
          ctx.events.emit('runs/changed', { runId, change: 'updated' })
          return
        case 'end':
          ended = { runId, status: m.event.status, lastStep: m.event.lastStep, error: null, backend }
          return
        case 'error':
          ended = { runId, status: 'failed', lastStep: m.event.lastStep, error: `${m.event.code}: ${m.event.message}`, backend }
          return
      }
    }
    const onExit = (code: number, err: Error | null) => {
      clearInterval(controls)
      const outcome: TrainOutcome = ended ?? {
        runId,
        status: 'interrupted',
        lastStep,
        error: err ? err.message : `the training worker exited (code ${code}) without finishing`,
        backend
      }
      if (persistError) {
        outcome.status = 'failed'
        outcome.error = `could not store step results: ${persistError.message}`
      }
      ctx.store.runs.update(runId, { status: outcome.status, error: outcome.error })
      ctx.events.emit('runs/changed', { runId, change: 'updated' })
      if (outcome.status === 'failed' || outcome.status === 'interrupted') reject(new Error(outcome.error ?? outcome.status))
      else resolve(outcome)
    }
    h.signal.addEventListener('abort', () => {
      entry.stopRequested = true
      entry.worker?.send({ type: 'stop' })
    })
    // Another process (the app beside a terminal run) asks through the workspace; a request left
    // from an earlier launch of this run is dropped, not obeyed.
    takeControl(ctx.store.db, runId)
    const controls = setInterval(() => {
      let action: ReturnType<typeof takeControl> = null
      try { action = takeControl(ctx.store.db, runId) } catch { return }
      if (action === 'stop') entry.stopRequested = true
      if (action) entry.worker?.send({ type: action })
    }, CONTROL_POLL_MS)
    controls.unref?.()
    entry.worker = startTrainingWorker(
      { type: 'start', config, runId: String(runId), workspace: trainingWorkspace(ctx.store.path), resume },
      onEvent,
      onExit
    )
  })
}
