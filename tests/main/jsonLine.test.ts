import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { JsonLineScanner, useLineScan } from '../../src/main/import/jsonLine'
import { scanFiles, type ScanEvent } from '../../src/main/import/scan'
import { RecordExtractor } from '../../src/main/import/records'
import { genVerlDump } from '../helpers/genVerl'
import { rng } from '../helpers/rng'
import { tempDir } from '../helpers/tmp'

const tmp = tempDir()
afterAll(tmp.cleanup)
afterEach(() => useLineScan('wasm'))

const scanner = new JsonLineScanner()

/** The scanner's object for one line, or null (it leaves the line to JSON.parse). */
function scan(line: string): Record<string, unknown> | null {
  const b = Buffer.from(line, 'utf8')
  // Somewhere inside a chunk, as lines are: bytes before and after it.
  const chunk = Buffer.concat([Buffer.from('{"before": 1}\n'), b, Buffer.from('\n{"after": 2}')])
  scanner.load(chunk, chunk.length)
  return scanner.parse(14, 14 + b.length)
}

// Deep equality that tells -0 from 0 and sees key order.
function same(a: unknown, b: unknown): boolean {
  if (typeof a !== typeof b) return false
  if (a === null || b === null || typeof a !== 'object') return Object.is(a, b)
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const ka = Object.keys(a as object)
  const kb = Object.keys(b as object)
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false
  return ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
}

/** Lines the scanner may leave to JSON.parse although they are valid: it must never give another value. */
function check(line: string): 'same' | 'left' | 'refused' {
  let want: unknown
  let valid = true
  try {
    // What the bytes decode to (a lone surrogate in `line` is written as U+FFFD's bytes).
    want = JSON.parse(Buffer.from(line, 'utf8').toString('utf8'))
  } catch {
    valid = false
  }
  const got = scan(line)
  if (got === null) return valid ? 'left' : 'refused'
  expect(valid, `the scanner accepted what JSON.parse refuses: ${JSON.stringify(line)}`).toBe(true)
  expect(same(got, want), `${JSON.stringify(line)}: ${JSON.stringify(got)} ≠ ${JSON.stringify(want)}`).toBe(true)
  return 'same'
}

describe('JsonLineScanner', () => {
  it('gives what JSON.parse gives, and refuses what it refuses', () => {
    const cases = [
      '{"a": "hello", "b": 1, "c": -2.5e3, "d": true, "e": false, "f": null, "g": [1, {"x": "]"}], "h": {"k": "v"}}',
      '{"s": "line\\nnext \\u00e9 \\u20ac \\ud83d\\ude00 \\"q\\" \\\\ \\/ \\b\\f\\r\\t \\u0000", "t": "é unicode ü 日本 🙂"}',
      '{}', ' { } ', '\t{ "a" : 1 }\r', '{"a":1,"a":2,"b":3,"a":4}', '{"2": "x", "1": "y", "b": 0}', '{"a": -0, "b": 0, "c": -0.0, "d": 1E+2, "e": 123456789012345678901234}',
      '{"a": 9007199254740993, "b": 0.1, "c": 1e400, "d": -1e-400, "e": 100000000000000, "f": 999999999999999}',
      '{"é": 1, "日本": "語"}', '{"a": "\\ud800"}', '{"a": "\\udc00x"}', '{"a": "\\ud800\\u0041"}', '{"a\\n": 1}', '{"__proto__": {"x": 1}}',
      ...['0.5', '-0.0', '1.50', '0.1', '0.3', '-12.0', '1234567890.12345', '123456789012345.5', '0.000001', '9.999999999999999', '4.35', '2.675']
        .map((n) => `{"a": ${n}, "b": [${n}]}`),
      '{"a": 00.5}', '{"a": 0.}', '{"a": -.5}', '{"a": 1.2.3}', '{"a": -01.5}',
      '{"a": 01}', '{"a": 1.}', '{"a": .5}', '{"a": +1}', '{"a": -}', '{"a": 1e}', '{"a": 0x10}', '{"a": 1 2}',
      '{"a": tru}', '{"a": truex}', '{"a": nul}', '{"a": fals}', '{"a": "ctrl\u0001"}', '{"a": "tab\there"}', '{"a": "\\x"}', '{"a": "\\u12"}', '{"a": "\\u12g4"}',
      '{"a": 1,}', '{"a" 1}', '{"a": 1', '{"a": "open', '{a: 1}', "{'a': 1}", '{"a": 1} x', '{"a": 1}}', '[1, 2]', '"str"', '{"a": [1, 2}', '{"a": {"b": [}}',
      '{"a": [1, "x\\"]"], "b": {"c": "}"}}', '{"a": [[[[]]]], "b": {}}', '{"a": "\u2028\u2029"}', '{"a": 1}\u00a0', '\ufeff{"a": 1}', '{"a": "x"}\u0000'
    ]
    const got = cases.map(check)
    // Valid lines it leaves to JSON.parse: lone surrogates, an escaped key, __proto__ — and nothing else.
    expect(cases.filter((_, i) => got[i] === 'left')).toEqual(['{"a": "\\ud800"}', '{"a": "\\udc00x"}', '{"a": "\\ud800\\u0041"}', '{"a\\n": 1}', '{"__proto__": {"x": 1}}', '[1, 2]', '"str"'])
  })

  it('finds quotes, escapes and control characters at every place in a 16-byte block', () => {
    for (let len = 0; len < 50; len++) {
      for (let at = 0; at <= len; at++) {
        for (const special of ['\\"', '\\\\', '\\n', '\\u00e9', 'é', '\\ud83d\\ude00', '\u0001', '"']) {
          const body = 'x'.repeat(at) + special + 'y'.repeat(len - at)
          check(`{"k": "${body}", "n": ${len}}`)
          check(`{"${'k'.repeat(len)}": "${body}"}`)
        }
      }
    }
  })

  it('leaves a line of more members than its table holds to JSON.parse, and reads long lines whole', () => {
    const many = `{${Array.from({ length: 600 }, (_, i) => `"k${i}": ${i}`).join(', ')}}`
    expect(check(many)).toBe('left')
    expect(check(`{${Array.from({ length: 400 }, (_, i) => `"k${i}": ${i}`).join(', ')}}`)).toBe('same')
    // Several megabytes in one string, with escapes spread through it: the module's memory grows.
    const long = `{"output": "${'word \\n plan \\"quoted\\" é '.repeat(150_000)}", "score": 1}`
    expect(check(long)).toBe('same')
  })

  it('agrees with JSON.parse on random lines', () => {
    const r = rng(7)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!
    const pieces = ['a', 'Z', ' ', '\\n', '\\"', '\\\\', '\\/', '\\t', '\\u0041', '\\u00e9', '\\u4e2d', '\\ud83d\\ude00', 'é', '中', '🙂', '{', '}', '[', ']', ',', ':']
    // Now and then a piece JSON.parse refuses (or that the scanner leaves to it).
    const wrongPieces = ['"', '\u0007', '\\q', '\\ud800', '\\u12']
    const str = () => Array.from({ length: Math.floor(r() * 40) }, () => pick(r() < 0.01 ? wrongPieces : pieces)).join('')
    const values = [() => `"${str()}"`, () => String(Math.floor(r() * 1e6) - 5e5), () => (r() * 100 - 50).toExponential(3), () => (r() * 2000 - 1000).toFixed(Math.floor(r() * 12)), () => pick(['true', 'false', 'null', '-0', '0', '01', '1.', '2e', 'nul']),
      () => `[${Array.from({ length: Math.floor(r() * 4) }, () => `"${str()}"`).join(', ')}]`, () => `{"x": "${str()}", "y": [1, {"z": null}]}`]
    const tally = { same: 0, left: 0, refused: 0 }
    for (let n = 0; n < 4000; n++) {
      const members = Array.from({ length: 1 + Math.floor(r() * 6) }, () => `"${pick(['input', 'output', 'score', 'step', 'é', str().slice(0, 6)])}"${pick([':', ': ', ' : '])}${pick(values)()}`)
      let line = `{${members.join(pick([',', ', ']))}}`
      // Now and then a byte of damage.
      if (r() < 0.1) {
        const at = Math.floor(r() * line.length)
        line = line.slice(0, at) + pick(['"', '\\', ',', '}', '', ' ']) + line.slice(at + 1)
      }
      tally[check(line)]++
    }
    // The random lines reach all three answers, mostly the first.
    expect(tally.same).toBeGreaterThan(1000)
    expect(tally.refused).toBeGreaterThan(100)
  })
})

async function scanAll(dir: string): Promise<unknown> {
  const files = readdirSync(dir).filter((f) => /\.jsonl$/.test(f)).sort().map((f) => ({ path: join(dir, f), size: 0, stepHint: null }))
  const out: unknown[] = []
  for await (const ev of scanFiles(files, { extractor: new RecordExtractor({}), hash: true }) as AsyncGenerator<ScanEvent>) {
    out.push(ev.type === 'batch' ? { rows: ev.rows, bad: ev.bad } : { ...ev, file: ev.file.path })
  }
  return out
}

describe('reading JSONL with the scanner', () => {
  it('gives the same rows, bad lines and file summaries as decoding every line for JSON.parse', async () => {
    const dir = join(tmp.dir, 'verl')
    genVerlDump(dir, { steps: 2, perStep: 300, badLines: 5, seed: 3 })
    // Lines the scanner leaves to JSON.parse or refuses, bytes that are not UTF-8, blank and indented lines.
    writeFileSync(join(dir, '3.jsonl'), Buffer.concat([
      Buffer.from('{"input": "p", "output": "let\\u2019s try a different approach \\ud83d\\ude00", "score": 1, "step": 3}\n'),
      Buffer.from('{"input": "p", "output": "lone \\ud800 surrogate", "score": 0, "step": 3}\n   \n\n'),
      Buffer.from('  {"input": "p", "output": "indented", "score": 1.5e0, "step": 3}\r\n'),
      Buffer.from('{"input": "p", "output": "bad '), Buffer.from([0xff, 0xc3]), Buffer.from(' bytes", "score": 1, "step": 3}\n'),
      Buffer.from('{"input": "p", "output": "x", "score": 01, "step": 3}\n{"input": "p", "output": "y", "score": true, "step": "3"}\n'),
      Buffer.from('{"__proto__": {"step": 9}, "input": "p", "output": "z", "score": 1, "step": 3}\n[1]\n{"output": 5}')
    ]))
    useLineScan('json')
    const want = await scanAll(dir)
    useLineScan('wasm')
    const got = await scanAll(dir)
    expect(got).toEqual(want)
    const summary = (got as { type?: string; lines?: number; skipped?: number; invalidUtf8?: unknown }[]).filter((e) => e.type === 'fileEnd')
    expect(summary.map((e) => [e.lines, e.skipped])).toEqual([[300, 5], [300, 5], [9, 3]])
    expect(summary[2]!.invalidUtf8).toEqual({ lines: 1, first: 6 })
  })
})
