import { mkdirSync, openSync, writeSync, closeSync } from 'node:fs'
import { join } from 'node:path'
import { rng } from './rng'

const PHRASES = ["let's try a different approach", 'we can use the fact that', 'wait, let me check', 'but the problem mentions that', 'Let\u2019s try a different approach']
const FILLER = ['the', 'value', 'of', 'x', 'is', 'then', 'we', 'get', 'so', 'and', 'sum', 'term', 'both', 'sides', 'equation', 'gives']

/**
 * Writes a verl-style dump (`<step>.jsonl`, lines {input, output, score, step, gts, acc}) like
 * ../shared/bench/gen_verl_dump.py, in-repo so tests never depend on ../shared. `badLines` malformed
 * lines go into each file. Returns the number of good lines written.
 */
export function genVerlDump(dir: string, opts: { steps: number; perStep: number; words?: number; badLines?: number; seed?: number }): number {
  mkdirSync(dir, { recursive: true })
  const r = rng(opts.seed ?? 0)
  const words = opts.words ?? 60
  let good = 0
  for (let step = 1; step <= opts.steps; step++) {
    const fd = openSync(join(dir, `${step}.jsonl`), 'w')
    const bad = new Set<number>()
    while (bad.size < Math.min(opts.badLines ?? 0, opts.perStep)) bad.add(Math.floor(r() * opts.perStep))
    const parts: string[] = []
    for (let i = 0; i < opts.perStep; i++) {
      if (bad.has(i)) {
        parts.push('{"input": "truncated line with no closing\n')
        continue
      }
      const pid = Math.floor(i / 8)
      const ok = r() < 0.3 + (0.4 * step) / opts.steps
      const out: string[] = []
      let n = 0
      while (n < words) {
        if (r() < 0.18) out.push(PHRASES[Math.floor(r() * PHRASES.length)]! + (r() < 0.5 ? ',' : '.'))
        else {
          const a = Math.floor(r() * 900) + 2
          const b = Math.floor(r() * 900) + 2
          out.push(`${FILLER[Math.floor(r() * FILLER.length)]} ${FILLER[Math.floor(r() * FILLER.length)]} $${a} + ${b} = ${a + b}$.`)
        }
        n += 4
      }
      parts.push(JSON.stringify({ input: `Problem ${pid}: compute #${pid}.`, output: out.join(' ') + ` The answer is ${ok ? pid : pid + 1}.`,
        gts: String(pid), score: ok ? 1 : 0, step, acc: ok }) + '\n')
      good++
      if (parts.length >= 1000) writeSync(fd, parts.splice(0).join(''))
    }
    writeSync(fd, parts.join(''))
    closeSync(fd)
  }
  return good
}
