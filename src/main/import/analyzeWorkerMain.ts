import { parentPort, workerData } from 'node:worker_threads'
import { fileMetrics } from './fileMetrics'
import { readTokenizer } from './tokenizer'
import type { SourceFile } from './sources'
import type { FieldMapping } from './mapping'

// One analysis worker: takes work units (a file, or a byte range of one) from the main thread and
// answers with each unit's step counts, reporting bytes as it reads.
const data = workerData as { phrases: string[]; mapping: FieldMapping; tokenizer: string | null }
const tokenizer = data.tokenizer ? readTokenizer(data.tokenizer) : null
const port = parentPort!

port.on('message', (msg: { type: 'unit'; index: number; file: SourceFile; range?: { start: number; end: number } } | { type: 'end' }) => {
  if (msg.type === 'end') {
    port.close()
    return
  }
  fileMetrics(msg.file, data.phrases, data.mapping, tokenizer, (bytes) => port.postMessage({ type: 'progress', index: msg.index, bytes }), undefined, msg.range)
    .then((r) => port.postMessage({ type: 'done', index: msg.index, states: r.states, rollouts: r.rollouts, tokenRollouts: r.tokenRollouts, noOutcome: r.noOutcome,
      bad: { first: r.bad.first, byKind: r.bad.byKind, total: r.bad.total }, lastLine: r.lastLine, mapping: r.mapping }))
    .catch((e: Error) => port.postMessage({ type: 'error', index: msg.index, message: e.message }))
})
port.postMessage({ type: 'ready' })
