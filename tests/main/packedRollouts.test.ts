import { describe, expect, it } from 'vitest'
import { openStore } from '../../src/main/store'
import { packBuffer, packRollouts, PackedRolloutWriter, RolloutPacker, type PackedRollouts } from '../../src/main/store/packedRollouts'
import type { NewRollout } from '../../src/main/store/rollouts'

const base: NewRollout = {
  step: 3, promptId: 'p1', prompt: 'What is 2 + 2?', response: 'It is 4.', score: 1, correct: true, answer: '4', gold: '4',
  nTokens: null, tokenStarts: null, tokenEnds: null, logprobs: null, entropies: null, planningMask: null, hasSg: false, extra: null
}

// Rows that take every path of the pack: nulls, empty texts, numbers, token arrays, non-ASCII text
// of 2, 3 and 4 bytes a character (one that outgrows the first buffer), a NUL, lone surrogates.
const rows: NewRollout[] = [
  base,
  { ...base, step: 0, promptId: null, prompt: null, response: '', score: null, correct: null, answer: null, gold: null },
  { ...base, score: -0, correct: false, answer: '', gold: '', hasSg: true, extra: { temperature: 0.7, model: 'm’', greedy: false } },
  { ...base, score: 0.1 + 0.2, response: 'let’s see: é, 😀, and a NUL \u0000 here', prompt: 'x'.repeat(5000) },
  { ...base, response: '€'.repeat(20000), gold: '数' },
  { ...base, response: 'a lone \ud800 surrogate', prompt: 'and \udc00 one', promptId: 'ok' },
  {
    ...base, step: 12, nTokens: 3, tokenStarts: Int32Array.from([0, 3, 6]), tokenEnds: Int32Array.from([2, 5, 8]),
    logprobs: Float32Array.from([-0.5, -1.25, -0]), entropies: Float32Array.from([0.1, 2, 3]), planningMask: Uint8Array.from([0, 1, 1]), hasSg: true
  },
  // Ten of these outgrow the buffer's first size (three bytes a character).
  ...Array.from({ length: 10 }, (_, i): NewRollout => ({ ...base, response: '€'.repeat(1000 + i) })),
  // A typed array that views part of a larger buffer.
  { ...base, nTokens: 2, tokenStarts: new Int32Array(new Int32Array([9, 0, 4, 9]).buffer, 4, 2), tokenEnds: Int32Array.from([3, 7]),
    logprobs: null, entropies: null, planningMask: new Uint8Array([7, 1, 0, 7]).subarray(1, 3) },
  // U+FFFD as it is, beside a lone surrogate in the same row and in a blob's bytes (EF BF BD).
  { ...base, prompt: 'a real \ufffd', response: '\ufffd and \udbff, \ufffd', gold: '\ud83d', nTokens: 1,
    planningMask: Uint8Array.from([0xef, 0xbf, 0xbd]) },
]

const COLS = ['step', 'prompt_id', 'prompt', 'response', 'score', 'correct', 'answer', 'gold', 'n_tokens', 'token_starts', 'token_ends',
  'logprobs', 'entropies', 'planning_mask', 'has_sg', 'extra']

/** Every stored column of the run's rows, with its storage class, as SQLite holds it. */
function stored(store: ReturnType<typeof openStore>, runId: number): string[][] {
  const sql = COLS.map((c) => `typeof(${c}) || ':' || quote(${c})`).join(', ')
  return store.db.prepare(`SELECT ${sql} FROM rollouts WHERE run_id = ? ORDER BY id`).raw().all(runId) as string[][]
}

describe('packed rollouts', () => {
  it('store every row exactly as RolloutsRepo.insert does, after a transfer between threads', () => {
    const store = openStore(':memory:')
    try {
      const run = (name: string) => store.runs.create({ name, kind: 'import', status: 'importing', source: {}, config: {}, sgSetId: null, sgSetVersion: null })
      const a = run('objects')
      const b = run('packed')
      for (const r of rows) store.rollouts.insert(a.id, r)
      const packed = packRollouts(rows)
      // As postMessage hands it over: the buffers transferred, the sender's views detached.
      const got = structuredClone(packed, { transfer: [packBuffer(packed)] }) as PackedRollouts
      expect(packed.bytes.byteLength).toBe(0)
      expect(got.loose?.size).toBe(4)
      const ids: [number, number][] = []
      store.db.transaction(() => new PackedRolloutWriter(store.db).insertAll(b.id, got, (i, id) => ids.push([i, id])))()
      expect(ids.map(([i]) => i)).toEqual(rows.map((_, i) => i))
      const want = stored(store, a.id)
      expect(stored(store, b.id)).toEqual(want)
      // The checks above compare like with like; these pin what they compare.
      expect(want[1]!.slice(1, 4)).toEqual(['null:NULL', 'null:NULL', "text:''"])
      expect(want[2]![4]).toBe('real:0.0')
      expect(want[4]![3]).toBe(`text:'${'€'.repeat(20000)}'`)
      expect(want[6]![9]).toBe('blob:X' + "'000000000300000006000000'")
      // better-sqlite3 writes a lone surrogate as its own three bytes (not U+FFFD): so must the pack.
      const hex = store.db.prepare('SELECT hex(response) FROM rollouts WHERE run_id = ? ORDER BY id').pluck().all(b.id) as string[]
      expect(hex[5]).toContain('EDA080')
      // The buffer handed back to the worker and packed into again: the same rows.
      const back = structuredClone(packBuffer(got), { transfer: [packBuffer(got)] })
      const again = packRollouts(rows, back)
      expect(packBuffer(again)).toBe(back)
      const c = run('reused')
      store.db.transaction(() => new PackedRolloutWriter(store.db).insertAll(c.id, again, () => {}))()
      expect(stored(store, c.id)).toEqual(want)
      // Too small to reuse: a buffer of its own.
      const small = new ArrayBuffer(16)
      expect(packBuffer(packRollouts(rows, small))).not.toBe(small)
    } finally {
      store.close()
    }
  })

  it('rows packed one at a time, pack after pack, into buffers handed back: the same stored rows', () => {
    const store = openStore(':memory:')
    try {
      const run = (name: string) => store.runs.create({ name, kind: 'import', status: 'importing', source: {}, config: {}, sgSetId: null, sgSetVersion: null })
      const a = run('objects')
      for (const r of rows) store.rollouts.insert(a.id, r)
      const want = stored(store, a.id)
      // The first pack starts in a buffer far too small (it grows mid-row), the next ones in the buffer
      // the last came back in; each pack holds a different run of rows.
      const handed: (ArrayBuffer | null)[] = [new ArrayBuffer(64)]
      const asked: number[] = []
      let added = 0
      const packer = new RolloutPacker(() => {
        asked.push(added)
        return handed.shift() ?? null
      })
      const b = run('packed')
      const cuts = [0, 3, 4, rows.length - 2, rows.length]
      for (let c = 0; c + 1 < cuts.length; c++) {
        for (let i = cuts[c]!; i < cuts[c + 1]!; i++, added++) packer.add(rows[i]!)
        const packed = packer.finish()
        const sent = structuredClone(packed, { transfer: [packBuffer(packed)] }) as PackedRollouts
        expect(sent.n).toBe(cuts[c + 1]! - cuts[c]!)
        store.db.transaction(() => new PackedRolloutWriter(store.db).insertAll(b.id, sent, () => {}))()
        handed.push(packBuffer(sent))
      }
      // A buffer is asked for as each pack's first row comes.
      expect(asked).toEqual(cuts.slice(0, -1))
      expect(stored(store, b.id)).toEqual(want)
    } finally {
      store.close()
    }
  })

  it('an empty chunk packs to nothing', () => {
    const p = packRollouts([])
    expect(p.n).toBe(0)
    expect(p.bytes.byteLength).toBe(0)
  })
})
