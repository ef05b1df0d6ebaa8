import { parentPort, workerData } from 'node:worker_threads'
import { readRows } from './rowSource'
import { readTokenizer } from './tokenizer'
import type { SourceFile } from './sources'
import type { FieldMapping } from './mapping'
import { noteLatest } from './stepTimes'
import { packBuffer, type PackedRollouts } from '../store/packedRollouts'

// One import worker: reads the files the writer hands it, one at a time, and posts each chunk's
// rows (with planning masks), packed with their buffers transferred, and each file's step metrics. It keeps at most `credits` batches
// unacknowledged, so a slow writer holds the readers back instead of filling memory.
const data = workerData as { phrases: string[]; mapping: FieldMapping; tokenizer: string | null; credits: number }
const tokenizer = data.tokenizer ? readTokenizer(data.tokenizer) : null
const port = parentPort!
let credits = data.credits
let waiting: (() => void) | null = null
const files: { index: number; file: SourceFile }[] = []
let wakeFiles: (() => void) | null = null
let closing = false

// Buffers of packs the writer has written, handed back for the next chunks; a few more than the
// credits (those the writer held while a checkpoint completed are let go).
const pool: ArrayBuffer[] = []
const POOL = data.credits + 4

port.on('message', (m: { type: 'file'; index: number; file: SourceFile } | { type: 'ack' } | { type: 'buffer'; buffer: ArrayBuffer } | { type: 'end' }) => {
  if (m.type === 'ack') {
    credits++
    waiting?.()
  } else if (m.type === 'buffer') {
    if (pool.length < POOL) pool.push(m.buffer)
  } else if (m.type === 'file') {
    files.push(m)
    wakeFiles?.()
  } else {
    closing = true
    wakeFiles?.()
  }
})

async function main(): Promise<void> {
  let mapping: unknown = null
  // Each file is read by its own extractor: the steps' latest record times over all of them.
  const times = new Map<number, number>()
  for (;;) {
    const f = files.shift()
    if (!f) {
      if (closing) break
      await new Promise<void>((r) => (wakeFiles = r))
      wakeFiles = null
      continue
    }
    for await (const ev of readRows([f.file], data.phrases, data.mapping, tokenizer, undefined, () => f.index, () => pool.pop())) {
      if (ev.type === 'end') {
        mapping = ev.mapping
        for (const [step, t] of ev.times) noteLatest(times, step, t)
        continue
      }
      if (ev.type === 'rows') {
        // Packed as they were read (readRows with a buffer source), before waiting for a credit.
        const packed = ev.rows as PackedRollouts
        while (credits <= 0) {
          await new Promise<void>((r) => (waiting = r))
          waiting = null
        }
        credits--
        port.postMessage({ ...ev, rows: packed }, [packBuffer(packed)])
      } else port.postMessage(ev)
    }
  }
  port.postMessage({ type: 'end', mapping, times: [...times] })
  port.close()
}

port.postMessage({ type: 'ready' })
main().catch((e: Error) => port.postMessage({ type: 'error', message: e.message }))
