import type { Store } from './store'
import type { EventBus } from './events'
import type { JobStatus } from '../shared/api/jobs'

export interface JobHandle {
  readonly id: number
  readonly runId: number | null
  /** Aborted when the user cancels the job; long work checks it between chunks. */
  readonly signal: AbortSignal
  /** `urgent` skips the emit throttle, for a message that must not be lost (it says what happens next). */
  progress(done: number, total?: number | null, message?: string | null, urgent?: boolean): void
}

export interface JobOptions {
  runId?: number | null
  unit?: string
  total?: number | null
  params?: unknown
}

export class JobCancelled extends Error {
  constructor() {
    super('cancelled by the user')
    this.name = 'JobCancelled'
  }
}

const EMIT_INTERVAL_MS = 100

/**
 * Runs long work (imports, recomputations, mining, training) as jobs: a row in the store, progress
 * pushed as `jobs/progress` events with rate and ETA, and cancellation through an AbortSignal.
 */
export class JobHost {
  private readonly running = new Map<number, AbortController>()

  constructor(private readonly store: Store, private readonly events: EventBus) {}

  run<T>(kind: string, opts: JobOptions, work: (job: JobHandle) => Promise<T>): { jobId: number; done: Promise<T> } {
    const row = this.store.jobs.create(kind, opts)
    const controller = new AbortController()
    this.running.set(row.id, controller)
    const unit = opts.unit ?? ''
    const runId = opts.runId ?? null
    let total = opts.total ?? null
    let done = 0
    let lastEmit = 0
    let rate: number | null = null
    let rateT = Date.now()
    let rateDone = 0
    const emit = (status: JobStatus, message: string | null) => {
      const eta = rate && total !== null && rate > 0 ? Math.max(0, (total - done) / rate) : null
      this.events.emit('jobs/progress', { jobId: row.id, kind, runId, status, done, total, unit, rate, etaSeconds: eta, message })
    }
    const handle: JobHandle = {
      id: row.id,
      runId,
      signal: controller.signal,
      progress: (d, t, message = null, urgent = false) => {
        done = d
        if (t !== undefined) total = t
        const now = Date.now()
        if (now - rateT >= 250) {
          const inst = ((done - rateDone) * 1000) / (now - rateT)
          rate = rate === null ? inst : 0.7 * rate + 0.3 * inst
          rateT = now
          rateDone = done
        }
        if (urgent || now - lastEmit >= EMIT_INTERVAL_MS) {
          lastEmit = now
          this.store.jobs.progress(row.id, done, total, message)
          emit('running', message)
        }
      }
    }
    emit('running', null)
    const promise = (async () => {
      try {
        const result = await work(handle)
        this.store.jobs.progress(row.id, done, total)
        this.store.jobs.finish(row.id, 'completed', { result: summarize(result) })
        emit('completed', null)
        return result
      } catch (err) {
        const cancelled = controller.signal.aborted || err instanceof JobCancelled
        const message = err instanceof Error ? err.message : String(err)
        this.store.jobs.finish(row.id, cancelled ? 'cancelled' : 'failed', { error: cancelled ? null : message })
        emit(cancelled ? 'cancelled' : 'failed', cancelled ? 'cancelled' : message)
        throw cancelled && !(err instanceof JobCancelled) ? new JobCancelled() : err
      } finally {
        this.running.delete(row.id)
      }
    })()
    // Callers that only watch events must not trigger unhandled-rejection crashes.
    promise.catch(() => undefined)
    return { jobId: row.id, done: promise }
  }

  cancel(id: number): boolean {
    const c = this.running.get(id)
    if (!c) return false
    c.abort()
    return true
  }

  get active(): number[] {
    return [...this.running.keys()]
  }
}

function summarize(result: unknown): unknown {
  if (result === undefined) return null
  try {
    const text = JSON.stringify(result)
    return text.length > 100_000 ? { truncated: true } : result
  } catch {
    return null
  }
}
