import { describe, expect, it } from 'vitest'
import { openStore } from '../../src/main/store'
import { NULL_SPAN, packBuffer, packRollouts, PackedRolloutWriter, RolloutPacker, ROWS_PER_INSERT, type PackedRollouts } from '../../src/main/store/packedRollouts'
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

  describe('several rows an INSERT', () => {
    const K = ROWS_PER_INSERT
    // Two statements' worth and some, each row told apart by its step and response.
    const many = Array.from({ length: 2 * K + 3 }, (_, i): NewRollout => ({ ...base, step: i, response: `row ${i}`, hasSg: i % 3 === 0 }))
    // As the importer writes: its transactions with the connection's foreign keys off.
    const setup = (foreignKeys = false) => {
      const store = openStore(':memory:')
      const run = (name: string) => store.runs.create({ name, kind: 'import', status: 'importing', source: {}, config: {}, sgSetId: null, sgSetVersion: null })
      if (!foreignKeys) store.db.pragma('foreign_keys = OFF')
      return { store, run }
    }
    const byId = (store: ReturnType<typeof openStore>, runId: number) =>
      store.db.prepare('SELECT id, step, response FROM rollouts WHERE run_id = ? ORDER BY id').raw().all(runId) as [number, number, string][]

    it('gives each row the id SQLite stored it under, across statements, after rows of another run and a deleted last row', () => {
      expect(K).toBeGreaterThan(1)
      const { store, run } = setup()
      try {
        const a = run('before')
        for (const r of rows) store.rollouts.insert(a.id, r)
        // The largest id gone: new rows count from the largest left, as SQLite does.
        store.db.prepare('DELETE FROM rollouts WHERE id = (SELECT max(id) FROM rollouts)').run()
        const b = run('packed')
        const w = new PackedRolloutWriter(store.db)
        const ids: [number, number][] = []
        // Two packs in one transaction, then one of fewer than K rows in another.
        store.db.transaction(() => {
          w.insertAll(b.id, packRollouts(many), (i, id) => ids.push([i, id]))
          w.insertAll(b.id, packRollouts(many.slice(0, K + 1)), (i, id) => ids.push([K * 10 + i, id]))
        })()
        store.db.transaction(() => w.insertAll(b.id, packRollouts(many.slice(0, K - 1)), (i, id) => ids.push([K * 20 + i, id])))()
        const got = byId(store, b.id)
        const want = [...many, ...many.slice(0, K + 1), ...many.slice(0, K - 1)]
        expect(got.map(([, step, response]) => [step, response])).toEqual(want.map((r) => [r.step, r.response]))
        // `each` in row order, with the stored ids.
        expect(ids.map(([, id]) => id)).toEqual(got.map(([id]) => id))
        expect(ids.map(([i]) => i)).toEqual([...many.keys(), ...many.slice(0, K + 1).map((_, i) => K * 10 + i), ...many.slice(0, K - 1).map((_, i) => K * 20 + i)])
        expect(got[0]![0]).toBe(rows.length)
        // Stored as one row at a time stores them.
        const c = run('one by one')
        for (const r of want) store.rollouts.insert(c.id, r)
        expect(stored(store, b.id)).toEqual(stored(store, c.id))
      } finally {
        store.close()
      }
    })

    it('outside a transaction, or past the ids a number holds, writes one row a statement with SQLite\'s ids', () => {
      const { store, run } = setup()
      try {
        const b = run('packed')
        const w = new PackedRolloutWriter(store.db)
        const ids: number[] = []
        w.insertAll(b.id, packRollouts(many), (_, id) => ids.push(id))
        expect(ids).toEqual(byId(store, b.id).map(([id]) => id))
        // At the largest id there is, SQLite picks ids at random: no counting from the largest.
        store.db.prepare("INSERT INTO rollouts (id, run_id, step, response) VALUES (9223372036854775807, ?, 0, 'last')").run(b.id)
        const c = run('random ids')
        const random: number[] = []
        store.db.transaction(() => w.insertAll(c.id, packRollouts(many), (_, id) => random.push(id)))()
        const want = (store.db.prepare('SELECT id FROM rollouts WHERE run_id = ? ORDER BY step').pluck().safeIntegers().all(c.id) as bigint[]).map(Number)
        expect(want).toHaveLength(many.length)
        expect(random).toEqual(want)
      } finally {
        store.close()
      }
    })

    it('a row that cannot be stored fails its transaction, in a statement of K rows and in the rest', () => {
      const { store, run } = setup()
      try {
        const b = run('packed')
        const w = new PackedRolloutWriter(store.db)
        const seen: number[] = []
        for (const bad of [1, 2 * K + 1]) {
          const p = packRollouts(many)
          // A response of NULL breaks the table's NOT NULL.
          p.spans[bad * (p.spans.length / p.n) + 2 * 2 + 1] = NULL_SPAN
          expect(() => store.db.transaction(() => w.insertAll(b.id, p, (i) => seen.push(i)))()).toThrow(/NOT NULL constraint failed: rollouts.response/)
          expect(store.db.inTransaction).toBe(false)
          expect(byId(store, b.id)).toEqual([])
        }
        // The writer goes on afterwards.
        store.db.transaction(() => w.insertAll(b.id, packRollouts(many), () => {}))()
        expect(byId(store, b.id)).toHaveLength(many.length)
      } finally {
        store.close()
      }
    })

    // A row inserted beside the third: the rows after it take ids past its id.
    const skip = `CREATE TRIGGER skip AFTER INSERT ON rollouts WHEN new.step = 2 AND new.response = 'row 2'
      BEGIN INSERT INTO rollouts (id, run_id, step, response) VALUES (new.id + 100, new.run_id, 99, 'beside'); END`

    it('refuses rows that did not take consecutive ids', () => {
      const { store, run } = setup()
      try {
        const b = run('packed')
        store.db.exec(skip)
        const w = new PackedRolloutWriter(store.db)
        expect(() => store.db.transaction(() => w.insertAll(b.id, packRollouts(many), () => {}))()).toThrow(/rows took ids up to/)
        expect(byId(store, b.id)).toEqual([])
      } finally {
        store.close()
      }
    })

    it('with the foreign keys on, writes one row a statement, each with the id SQLite gave it', () => {
      const { store, run } = setup(true)
      try {
        const b = run('packed')
        // Rows counted from the largest id would be refused here (the test above).
        store.db.exec(skip)
        const w = new PackedRolloutWriter(store.db)
        const ids: number[] = []
        store.db.transaction(() => w.insertAll(b.id, packRollouts(many), (_, id) => ids.push(id)))()
        const got = byId(store, b.id)
        expect(ids).toEqual(got.filter(([, step]) => step !== 99).map(([id]) => id))
        expect(ids[3]).toBe(ids[2]! + 101)
        // And a row's foreign key is checked as ever.
        expect(() => store.db.transaction(() => w.insertAll(b.id + 1, packRollouts(many), () => {}))()).toThrow(/FOREIGN KEY constraint failed/)
      } finally {
        store.close()
      }
    })
  })
})
