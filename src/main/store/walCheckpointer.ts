import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { Db } from './open'

const workerUrl = new URL('./checkpointWorker.mjs', import.meta.url)

/**
 * WAL checkpoints of a bulk write (an import) on a thread of their own. SQLite checkpoints in the
 * committing thread: every 64 MB the writer stopped to copy the log into the database and wait
 * for its fsync, about 40% of an import writer's wall time (measured, docs/import.md). Here the
 * writer turns its automatic checkpoint down to a backstop and reports what it wrote; every
 * `everyBytes` a second connection on another thread runs a PASSIVE checkpoint, which never blocks
 * the writer. The backstop (the writer's own checkpoint once the log holds `backstopBytes`) still
 * bounds the log, and completes it so that it restarts from its start: a log written while a
 * checkpoint runs is never fully copied by that checkpoint alone.
 */
export class WalCheckpointer {
  private pending = 0
  private busy = false
  // A failed checkpoint is left to the backstop; none is asked for after it.
  private failed = false
  private readonly saved: number
  private exited = false

  private constructor(private readonly db: Db, private readonly worker: Worker, private readonly everyBytes: number, backstopBytes: number) {
    const page = db.pragma('page_size', { simple: true }) as number
    this.saved = db.pragma('wal_autocheckpoint', { simple: true }) as number
    db.pragma(`wal_autocheckpoint = ${Math.max(1, Math.round(backstopBytes / page))}`)
    worker.on('message', (m: { type: string }) => {
      if (m.type === 'done') this.busy = false
      else if (m.type === 'error') this.failed = true
    })
    worker.on('error', () => (this.failed = true))
    worker.on('exit', () => (this.exited = true))
  }

  /**
   * A checkpointer for `db`, or null where none can run (an in-memory database, a bundle without the
   * worker script): the writer then checkpoints as it always did.
   */
  static start(db: Db, opts: { everyBytes?: number; backstopBytes?: number } = {}): WalCheckpointer | null {
    if (db.memory || db.readonly || !existsSync(fileURLToPath(workerUrl))) return null
    if (String(db.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') return null
    const worker = new Worker(workerUrl, { workerData: { path: db.name } })
    return new WalCheckpointer(db, worker, opts.everyBytes ?? 32 << 20, opts.backstopBytes ?? 128 << 20)
  }

  /** The writer committed about `bytes` more (rows' text and blobs). */
  wrote(bytes: number): void {
    this.pending += bytes
    if (this.pending < this.everyBytes || this.busy || this.failed) return
    this.pending = 0
    this.busy = true
    this.worker.postMessage('checkpoint')
  }

  /** Ends the thread and gives the writer its automatic checkpoint back. */
  async stop(): Promise<void> {
    this.db.pragma(`wal_autocheckpoint = ${this.saved}`)
    if (this.exited) return
    await new Promise<void>((resolve) => {
      this.worker.once('exit', () => resolve())
      this.worker.postMessage('stop')
    })
  }
}
