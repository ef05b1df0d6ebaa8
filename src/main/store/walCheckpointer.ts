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
 *
 * The backstop stopped the writer for its copy and two fsyncs, ~0.3 s every 128 MB (a 1 GB import's
 * writer spent 2.4 s of its 22 s waiting on the disk, and the reading threads, out of credits,
 * with it). So once `completeBytes` are written, the thread runs a checkpoint that the writer lets
 * complete: `holding` is true until it is done, and the writer commits nothing meanwhile (the
 * importer keeps what comes in); the log then starts over at the writer's next transaction.
 *
 * How long the writer holds is how long that checkpoint takes: syncing the log written since the
 * last checkpoint, copying its pages, and syncing the database, which SQLite does only at the end
 * of a log. With a checkpoint every 32 MB and none of the copied pages written back before, a 1 GB
 * import's writer held for 350–500 ms every ~1.2 s (25–34 MB of responses kept meanwhile, written
 * in a burst after, while the reading threads ran out of credits), and twice a run the held
 * responses overflowed, the checkpoint could not complete, and the writer ran its own backstop
 * (0.37–0.44 s on the disk; 2026-12-02, timestamps). So the thread checkpoints every 8 MB and
 * writes the copied pages back itself (checkpointWorkerMain.ts): the completing checkpoint has
 * little left to do, 8–27 MB of responses are held (25–34 MB before) and none overflowed.
 */
export class WalCheckpointer {
  private pending = 0
  private busy = false
  // Bytes written since the log last started over; whether the writer holds for a completing
  // checkpoint, and whether one is asked for behind the one that runs.
  private logBytes = 0
  private completing = false
  private again = false
  // A failed checkpoint is left to the backstop; none is asked for after it.
  private failed = false
  private readonly saved: number
  private exited = false
  /** Checkpoints after which the thread wrote the copied pages back itself (the writer not held). */
  writtenBack = 0

  private constructor(private readonly db: Db, private readonly worker: Worker, private readonly everyBytes: number, backstopBytes: number,
    private readonly completeBytes: number) {
    const page = db.pragma('page_size', { simple: true }) as number
    this.saved = db.pragma('wal_autocheckpoint', { simple: true }) as number
    db.pragma(`wal_autocheckpoint = ${Math.max(1, Math.round(backstopBytes / page))}`)
    worker.on('message', (m: { type: 'done'; synced: boolean } | { type: 'error' }) => {
      if (m.type === 'done') {
        this.busy = false
        if (m.synced) this.writtenBack++
        if (this.again) {
          this.again = false
          this.post()
        } else if (this.completing) {
          // Whether or not it completed (a reader of the log can keep it from that), the writer goes on.
          this.completing = false
          this.logBytes = 0
          this.pending = 0
        }
      } else {
        this.failed = true
        this.completing = false
      }
    })
    worker.on('error', () => {
      this.failed = true
      this.completing = false
    })
    worker.on('exit', () => (this.exited = true))
  }

  /**
   * A checkpointer for `db`, or null where none can run (an in-memory database, a bundle without the
   * worker script): the writer then checkpoints as it always did.
   */
  static start(db: Db, opts: { everyBytes?: number; backstopBytes?: number; completeBytes?: number } = {}): WalCheckpointer | null {
    if (db.memory || db.readonly || !existsSync(fileURLToPath(workerUrl))) return null
    if (String(db.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') return null
    const worker = new Worker(workerUrl, { workerData: { path: db.name } })
    return new WalCheckpointer(db, worker, opts.everyBytes ?? 8 << 20, opts.backstopBytes ?? 128 << 20, opts.completeBytes ?? 64 << 20)
  }

  /** The writer committed about `bytes` more (rows' text and blobs). */
  wrote(bytes: number): void {
    this.pending += bytes
    this.logBytes += bytes
    if (this.failed || this.completing) return
    if (this.logBytes >= this.completeBytes) {
      this.completing = true
      // Behind the checkpoint that runs, if one does: that one cannot complete.
      if (this.busy) this.again = true
      else this.post()
    } else if (this.pending >= this.everyBytes && !this.busy) this.post()
  }

  /** Whether the writer should commit nothing for now: a checkpoint it lets complete is asked for or runs. */
  get holding(): boolean {
    return this.completing
  }

  private post(): void {
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
