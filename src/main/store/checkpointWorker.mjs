// Entry of the WAL checkpoint thread; see ../import/analyzeWorker.mjs for why it registers tsx itself.
import { register } from 'tsx/esm/api'

register()
await import('./checkpointWorkerMain.ts')
