// Entry of an import worker thread; see analyzeWorker.mjs for why it registers tsx itself.
import { register } from 'tsx/esm/api'

register()
await import('./importWorkerMain.ts')
