import type { Worker } from 'node:worker_threads'

/**
 * Worker threads started before their work is known (a worker takes ~130 ms to boot and load its
 * modules, which the caller overlaps with listing the sources): what they say before a consumer
 * attaches (a 'ready' each, or an error) waits here, and until then they keep no process alive (a
 * pool whose plan failed is still ended). Analysis and import workers both start this way.
 */
export class EarlyWorkers<M> {
  readonly workers: Worker[] = []
  private readonly early: { w: Worker; m: M }[] = []
  private failure: Error | null = null
  private onMessage: ((w: Worker, m: M) => void) | null = null
  private onError: ((e: Error) => void) | null = null

  constructor(n: number, start: () => Worker) {
    for (let t = 0; t < n; t++) {
      const w = start()
      this.workers.push(w)
      w.on('error', (e: Error) => (this.onError ? this.onError(e) : (this.failure ??= e)))
      w.on('message', (m: M) => (this.onMessage ? this.onMessage(w, m) : this.early.push({ w, m })))
      w.unref()
    }
  }

  /** Hands the workers' messages (those that came already first) and errors to their consumer. */
  attach(onMessage: (w: Worker, m: M) => void, onError: (e: Error) => void): void {
    this.onMessage = onMessage
    this.onError = onError
    for (const w of this.workers) w.ref()
    if (this.failure) onError(this.failure)
    for (const { w, m } of this.early.splice(0)) onMessage(w, m)
  }

  terminate(): void {
    for (const w of this.workers) void w.terminate()
  }
}
