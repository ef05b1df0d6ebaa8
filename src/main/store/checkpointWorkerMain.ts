import { parentPort, workerData } from 'node:worker_threads'
import Database from 'better-sqlite3'

// The WAL checkpoint thread of a bulk write (see walCheckpointer.ts): on each request its own
// connection copies the log's committed pages into the database, while the writer goes on writing.
const data = workerData as { path: string }
const port = parentPort!
const db = new Database(data.path, { fileMustExist: true })
db.pragma('synchronous = NORMAL')

port.on('message', (m: 'checkpoint' | 'stop') => {
  if (m === 'stop') {
    db.close()
    port.close()
    return
  }
  try {
    // PASSIVE: copies what no reader still needs; it never waits for a lock, so never for the writer.
    db.pragma('wal_checkpoint(PASSIVE)')
    port.postMessage({ type: 'done' })
  } catch (e) {
    port.postMessage({ type: 'error', message: (e as Error).message })
  }
})
