import { parentPort, workerData } from 'node:worker_threads'
import { closeSync, fdatasyncSync, openSync } from 'node:fs'
import Database from 'better-sqlite3'

// The WAL checkpoint thread of a bulk write (see walCheckpointer.ts): on each request its own
// connection copies the log's committed pages into the database, while the writer goes on writing.
const data = workerData as { path: string }
const port = parentPort!
const db = new Database(data.path, { fileMustExist: true })
db.pragma('synchronous = NORMAL')
// The database file, to write back the pages a checkpoint copied without syncing them.
const file = openSync(data.path, 'r')

port.on('message', (m: 'checkpoint' | 'stop') => {
  if (m === 'stop') {
    db.close()
    closeSync(file)
    port.close()
    return
  }
  try {
    // PASSIVE: copies what no reader still needs; it never waits for a lock, so never for the writer.
    const [r] = db.pragma('wal_checkpoint(PASSIVE)') as { log: number; checkpointed: number }[]
    // SQLite syncs the database only when a checkpoint reaches the end of the log, which happens
    // while the writer holds for it (walCheckpointer.ts): that sync then wrote back every page
    // copied since the last one (~64 MB, 0.15–0.25 s, the writer held all along). Written back
    // here, after each checkpoint the writer does not wait for, the one it waits for has little left.
    const synced = r!.log !== r!.checkpointed
    if (synced) fdatasyncSync(file)
    port.postMessage({ type: 'done', synced })
  } catch (e) {
    port.postMessage({ type: 'error', message: (e as Error).message })
  }
})
