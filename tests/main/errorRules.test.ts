import { describe, expect, it } from 'vitest'
import { applyRules, arithmeticSlip, finalAnswerIn } from '../../src/main/errors/rules'

const base = { answer: null, gold: '42', extra: null }

describe('rule-based pre-labels', () => {
  it('reads final answers the way graders do', () => {
    expect(finalAnswerIn('so we get \\boxed{\\frac{1}{2}}.')).toBe('\\frac{1}{2}')
    expect(finalAnswerIn('<think>hm</think><answer> 17 </answer>')).toBe('17')
    expect(finalAnswerIn('6 * 7 = 42\n#### 42')).toBe('42')
    expect(finalAnswerIn('Therefore, the final answer is 12.')).toBe('12')
    expect(finalAnswerIn('I think it could be many things')).toBeNull()
  })

  it('truncated → format: length limit, or an answer or think block never closed', () => {
    expect(applyRules({ ...base, response: 'Let me compute. \\boxed{4', extra: null })).toMatchObject({ rule: 'truncated', errorType: 'format' })
    expect(applyRules({ ...base, response: '<think>First, 3 + 4 = 7, then we', extra: null })?.rule).toBe('truncated')
    expect(applyRules({ ...base, response: 'The answer is 40', extra: JSON.stringify({ finish_reason: 'length' }) })?.note)
      .toContain('finish_reason')
    // A closed box is not truncation.
    expect(applyRules({ ...base, response: 'So \\boxed{40}.' })?.rule).not.toBe('truncated')
  })

  it('no-final-answer → format when neither the record nor the text has one', () => {
    const hit = applyRules({ ...base, response: "Let's try a different approach. We can use the fact that the sum is even." })
    expect(hit).toMatchObject({ rule: 'no-final-answer', errorType: 'format' })
    // A stored answer counts even when the text does not box it.
    expect(applyRules({ ...base, answer: '40', response: 'We can use the fact that the sum is even.' })).toBeNull()
  })

  it('unparsable → format when the gold is a number and the answer has no digit', () => {
    expect(applyRules({ ...base, response: 'Hence \\boxed{x}.' })).toMatchObject({ rule: 'unparsable', errorType: 'format' })
    expect(applyRules({ ...base, gold: '$1,200', response: 'The answer is twelve hundred.' })?.rule).toBe('unparsable')
    // A symbolic gold answer is not a number: no claim.
    expect(applyRules({ ...base, gold: 'x + 1', response: 'Hence \\boxed{y}.' })).toBeNull()
  })

  it('arithmetic-slip → calculation for a visibly wrong a op b = c, only with a final answer', () => {
    const text = 'There are 12 boxes with 4 apples each, so 12 × 4 = 46 apples. Adding 2 gives 48.\n#### 48'
    expect(applyRules({ ...base, response: text })).toMatchObject({ rule: 'arithmetic-slip', errorType: 'calculation' })
    expect(applyRules({ ...base, response: text })!.note).toContain('12 × 4 = 46')
    expect(applyRules({ ...base, response: text })!.note).toContain('48')
    expect(arithmeticSlip('so 7 \\times 8 = 54, hence')).toMatchObject({ equation: '7 \\times 8 = 54', expected: 56 })
    expect(arithmeticSlip('17 - 9 = 8 and 3.5 + 1.25 = 4.75 and 10 / 4 = 2.5')).toBeNull()
    // Rounded to the digits written: 10 / 3 = 3.33 is fine, 10 / 3 = 3.4 is not.
    expect(arithmeticSlip('10 / 3 = 3.33')).toBeNull()
    expect(arithmeticSlip('10 / 3 = 3.4')).not.toBeNull()
  })

  it('does not mistake parts of longer expressions for a slip', () => {
    expect(arithmeticSlip('2 × 3 + 4 = 10')).toBeNull() // 3 + 4 is not alone
    expect(arithmeticSlip('2^3 + 1 = 9')).toBeNull()
    expect(arithmeticSlip('-3 + 5 = 2')).toBeNull()
    expect(arithmeticSlip('1,000 + 2 = 1,002')).toBeNull()
    expect(arithmeticSlip('x = 3 + 4 = 7 × 2')).toBeNull() // the result continues as a product
    expect(arithmeticSlip('3 + 4 = 7x')).toBeNull()
    expect(arithmeticSlip('(44 + 19) - 3 = 60')).toBeNull()
    expect(arithmeticSlip('1.5 + 2 = 3.5, then 3 + 4 = 8 cm')).toMatchObject({ equation: '3 + 4 = 8' })
  })

  it('reads LaTeX the way models write it (cases from real PPO and MATH traces)', () => {
    // Products of several factors, thousands separators and percentages are not single equations.
    expect(arithmeticSlip('\\[\n\\text{Total} = 10 \\times 3 \\times 25 = 750\n\\]')).toBeNull()
    expect(arithmeticSlip('\\[2 \\cdot 3 \\cdot 4 \\cdot 5 + 1 = 121.\\]')).toBeNull()
    expect(arithmeticSlip('Her brother earns \\(2 \\times 5000 = 10,\\!000\\) dollars')).toBeNull()
    expect(arithmeticSlip('\\( 5,\\!000 \\times 0.025 = 125 \\)')).toBeNull()
    expect(arithmeticSlip('\\( 8,\\!000 + 96 = 8,\\!096 \\)')).toBeNull()
    expect(arithmeticSlip('\\( 8{,}000 + 96 = 8{,}096 \\)')).toBeNull()
    expect(arithmeticSlip('\\frac{1}{2} \\times 24 \\times 26 = 312')).toBeNull()
    expect(arithmeticSlip('so 1 / 4 = 25\\% of it')).toBeNull()
    // Slips the traces really contain.
    expect(arithmeticSlip('\\[\n   25 - 2 = 18\\text{ years}\n   \\]')).toMatchObject({ equation: '25 - 2 = 18', expected: 23 })
    expect(arithmeticSlip('the remaining distance is \\( 20 - 24 = 4 \\) miles')).toMatchObject({ expected: -4 })
    expect(arithmeticSlip('\\(47 + 5 = 52\\,\\text{WPM}\\) and 12 \\div 4 = 4')).toMatchObject({ equation: '12 \\div 4 = 4', expected: 3 })
  })

  it('leaves a failure no rule explains unlabelled', () => {
    expect(applyRules({ ...base, response: 'We can use the fact that 6 × 7 = 42. So \\boxed{41}.' })).toBeNull()
  })
})

describe('judge replies', () => {
  it('parses JSON, a type line or a lone taxonomy id, and explains what it cannot use', async () => {
    const { parseJudgeReply, completionsUrl, renderJudgePrompt } = await import('../../src/main/errors/judge')
    const { DEFAULT_ERROR_TAXONOMY: tax } = await import('../../src/core')
    expect(parseJudgeReply('```json\n{"error_type": "Knowledge"}\n```', tax)).toBe('knowledge')
    expect(parseJudgeReply('Reasoning...\nERROR_TYPE: format', tax)).toBe('format')
    expect(parseJudgeReply('This is a calculation slip.', tax)).toBe('calculation')
    expect(() => parseJudgeReply('{"error_type": "arithmetic"}', tax)).toThrow('"arithmetic", which is not in the taxonomy')
    expect(() => parseJudgeReply('planning or calculation', tax)).toThrow('several error types (planning, calculation)')
    expect(() => parseJudgeReply('', tax)).toThrow('names no error type')
    expect(completionsUrl('http://h:8000/v1/')).toBe('http://h:8000/v1/chat/completions')
    expect(completionsUrl('http://h:8000')).toBe('http://h:8000/v1/chat/completions')
    expect(completionsUrl('https://api.x.com/v1/chat/completions')).toBe('https://api.x.com/v1/chat/completions')
    // A response quoting a placeholder is not substituted twice.
    expect(renderJudgePrompt('{response} / {gold}', tax, { prompt: null, response: 'see {gold}', answer: null, gold: '7' })).toBe('see {gold} / 7')
  })
})
