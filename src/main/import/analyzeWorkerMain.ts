import { parentPort, workerData } from 'node:worker_threads'
import { fileMetrics } from './fileMetrics'
import { readTokenizer } from './tokenizer'
import type { UnitMsg } from './analyzeParallel'
import type { FieldMapping } from './mapping'

// One analysis worker: takes work units (a file, or a byte range of one) from the main thread and
// answers with each unit's step counts, writing the bytes it has read where the main thread reads them.
const data = workerData as { phrases: string[]; mapping: FieldMapping; tokenizer: string | null }
const tokenizer = data.tokenizer ? readTokenizer(data.tokenizer) : null
const port = parentPort!

// Units are read one at a time, in the order they came: the main thread sends one ahead, so a
// unit ended is followed at once by the next.
const queue: Extract<UnitMsg, { type: 'unit' }>[] = []
let reading = false
let ended = false

function readNext(): void {
  const msg = queue.shift()
  if (!msg) {
    reading = false
    if (ended) port.close()
    return
  }
  reading = true
  // Bytes read go to the unit's shared slot, which the main thread reads on its own timer.
  const progress = new BigInt64Array(msg.progress)
  fileMetrics(msg.file, data.phrases, data.mapping, tokenizer, (bytes) => Atomics.store(progress, msg.index, BigInt(bytes)), undefined, msg.range, msg.closed)
    .then((r) => port.postMessage({ type: 'done', index: msg.index, states: r.states, metrics: r.metrics, rollouts: r.rollouts, tokenRollouts: r.tokenRollouts, noOutcome: r.noOutcome,
      bad: { first: r.bad.first, byKind: r.bad.byKind, total: r.bad.total }, lastLine: r.lastLine, mapping: r.mapping }))
    .catch((e: Error) => port.postMessage({ type: 'error', index: msg.index, message: e.message }))
    .finally(readNext)
}

port.on('message', (msg: UnitMsg) => {
  if (msg.type === 'end') {
    ended = true
    if (!reading) port.close()
    return
  }
  queue.push(msg)
  if (!reading) readNext()
})
port.postMessage({ type: 'ready' })
