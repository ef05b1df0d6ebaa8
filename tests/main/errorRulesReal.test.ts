import { describe, expect, it } from 'vitest'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { applyRules } from '../../src/main/errors/rules'

// The rules on real third-party traces in ../shared (never copied into the repository); skipped
// without them. Every hit below was read by hand: each arithmetic-slip is an equation the model
// wrote wrongly, each truncation a response cut off mid-sentence with <think> still open.
const CKPT = resolve(__dirname, '..', '..', '..', 'shared', 'data', 'real', 'qwen25_1p5b_ppo_gsm8k_checkpoints')

describe.skipIf(!existsSync(CKPT))('rule pre-labels on the real PPO GSM8K traces', () => {
  it('fires only on visible evidence', () => {
    const hits: Record<string, Set<string>> = { truncated: new Set(), 'arithmetic-slip': new Set(), 'no-final-answer': new Set(), unparsable: new Set() }
    let failures = 0
    for (const f of readdirSync(CKPT).filter((n) => n.endsWith('_raw.jsonl')).sort()) {
      for (const line of readFileSync(join(CKPT, f), 'utf8').trim().split('\n')) {
        const rec = JSON.parse(line) as { gold: string; rollouts: { text: string; correct: boolean; pred_token: string | null }[] }
        for (const r of rec.rollouts) {
          if (r.correct) continue
          failures++
          const hit = applyRules({ response: r.text, answer: r.pred_token, gold: rec.gold, extra: null })
          if (hit) hits[hit.rule]!.add(hit.rule === 'arithmetic-slip' ? /"(.*)"/.exec(hit.note)![1]! : r.text.slice(-40))
        }
      }
    }
    expect(failures).toBeGreaterThan(400)
    expect([...hits['arithmetic-slip']!].sort()).toEqual([
      '106.08 \\times 1.04 = 109.25', '1.67 \\times 3 = 4.98', '20 - 24 = 4', '20 - 38 = 18',
      '25 - 2 = 18', '25 - 2 = 27', '5000 - 7000 = 800', '5125 \\times 1.025 = 5367.56', '6 + 0 = 2'
    ].sort())
    expect(hits.truncated!.size).toBeGreaterThan(0)
    for (const tail of hits.truncated!) expect(tail).not.toMatch(/<\/think>/)
  })
})
