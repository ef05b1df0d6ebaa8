// Entry of an analysis worker thread. The CLI runs TypeScript through tsx, which registers its
// loader per thread, so the worker registers it before loading the TypeScript module.
import { register } from 'tsx/esm/api'

register()
await import('./analyzeWorkerMain.ts')
