/**
 * Rule-based pre-labels for failed responses (source `rule`). Each rule only fires on evidence
 * visible in the text, so its label is a suggestion a person can check at a glance; a failure no
 * rule explains stays unlabelled rather than guessed. Rules are tried in order; the first wins.
 *
 * | rule             | type        | fires when                                                                  |
 * |------------------|-------------|-----------------------------------------------------------------------------|
 * | truncated        | format      | the record says generation hit the length limit (`finish_reason: length`,  |
 * |                  |             | `truncated: true` in its extra fields), or a `\boxed{`, `<answer>` or      |
 * |                  |             | `<think>` is opened and never closed                                        |
 * | no-final-answer  | format      | no stored answer and none in the text (`\boxed{…}`, `<answer>…</answer>`,  |
 * |                  |             | `#### …`, "the (final) answer is …")                                       |
 * | unparsable       | format      | the gold answer is a number but the final answer contains no digit          |
 * | arithmetic-slip  | calculation | a final answer exists and the text shows an equation `a op b = c` between  |
 * |                  |             | plain numbers (op one of + − × ÷, `\times`, `\cdot`) whose result is wrong |
 * |                  |             | beyond the rounding `c` is written with                                    |
 */

export interface RuleInput {
  response: string
  answer: string | null
  gold: string | null
  /** The record's extra fields as stored (JSON text), if any. */
  extra: string | null
}

export interface RuleHit {
  rule: RuleName
  errorType: 'format' | 'calculation'
  /** The evidence, shown next to the suggestion. */
  note: string
}

export type RuleName = 'truncated' | 'no-final-answer' | 'unparsable' | 'arithmetic-slip'

/** Content of the last balanced `\boxed{…}`; `undefined` when a `\boxed{` is left open. */
function lastBoxed(text: string): string | null | undefined {
  const at = text.lastIndexOf('\\boxed{')
  if (at < 0) return null
  let depth = 0
  for (let i = at + 6; i < text.length; i++) {
    const c = text[i]
    if (c === '{') depth++
    else if (c === '}' && --depth === 0) return text.slice(at + 7, i)
  }
  return undefined
}

/** The final answer a grader would read from the text, or null when there is none. */
export function finalAnswerIn(text: string): string | null {
  const boxed = lastBoxed(text)
  if (typeof boxed === 'string') return boxed.trim()
  const tags = [...text.matchAll(/<answer>([\s\S]*?)<\/answer>/gi)]
  if (tags.length > 0) return tags[tags.length - 1]![1]!.trim()
  const hashes = [...text.matchAll(/^\s*####\s*(.+)$/gm)]
  if (hashes.length > 0) return hashes[hashes.length - 1]![1]!.trim()
  const said = [...text.matchAll(/\b(?:final answer|the answer)\s*(?:is|:)\s*:?\s*([^\n]+)/gi)]
  if (said.length > 0) return said[said.length - 1]![1]!.trim().replace(/[.\s]+$/, '')
  return null
}

function extraFields(extra: string | null): Record<string, unknown> {
  if (!extra) return {}
  try {
    const v = JSON.parse(extra) as unknown
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

function truncation(input: RuleInput): string | null {
  const x = extraFields(input.extra)
  if (x.finish_reason === 'length' || x.finishReason === 'length') return 'generation stopped at the length limit (finish_reason: length)'
  if (x.truncated === true) return 'the record is marked truncated'
  const t = input.response
  if (lastBoxed(t) === undefined) return '\\boxed{ is opened and never closed'
  const count = (re: RegExp) => (t.match(re) ?? []).length
  if (count(/<answer>/gi) > count(/<\/answer>/gi)) return '<answer> is opened and never closed'
  if (count(/<think>/gi) > count(/<\/think>/gi)) return '<think> is opened and never closed'
  return null
}

const stored = (a: string | null) => (a !== null && a.trim() !== '' ? a.trim() : null)

const NUMBER_RE = /^[-−]?\s*\$?\s*\d[\d,]*(?:\.\d+)?\s*%?\$?$/

const NUM = String.raw`\d+(?:\.\d+)?`
const OP = String.raw`(\+|-|−|\*|×|·|/|÷|\\times|\\cdot|\\div)`
/**
 * `a op b = c` standing alone. `a` must not continue a number or a longer term: no digit, letter,
 * point, comma, `\!` (LaTeX thousands: `5,\!000`), closing bracket or power right before it, and
 * no operator (`2 × 3 + 4 = 10`, `2 \times 3 \times 4 = 24`) before it. `c` must not continue
 * either: no more digits (`10,\!000`, `8{,}096`), letter, percent sign, bracket or
 * higher-precedence operator after it (`= 7 × 2`, `= 7x`, `= 50%`).
 */
const EQUATION = new RegExp(
  String.raw`(?<![\w.,!)}^])(?<![*×·/÷+\-−^]\s*)(?<!\\(?:times|cdot|div)\s*)` +
  String.raw`(${NUM})\s*${OP}\s*(${NUM})\s*=\s*(${NUM})` +
  String.raw`(?![\d]|[.,]\d|,\\!\d|\{,\}\d|\s*\\?%|\s*[(^*×·/÷]|\s*\\(?:times|cdot|div)|[A-Za-z])`,
  'g'
)

function evaluate(a: number, op: string, b: number): number | null {
  switch (op) {
    case '+': return a + b
    case '-': case '−': return a - b
    case '*': case '×': case '·': case '\\times': case '\\cdot': return a * b
    case '/': case '÷': case '\\div': return b === 0 ? null : a / b
    default: return null
  }
}

/** The first visible equation whose result is wrong beyond the rounding of the written result. */
export function arithmeticSlip(text: string): { equation: string; expected: number } | null {
  for (const m of text.matchAll(EQUATION)) {
    const [whole, a, op, b, c] = m as unknown as [string, string, string, string, string]
    const value = evaluate(Number(a), op, Number(b))
    if (value === null) continue
    const decimals = c.includes('.') ? c.length - c.indexOf('.') - 1 : 0
    const tolerance = 0.5 * 10 ** -decimals + 1e-9 * Math.max(1, Math.abs(value))
    if (Math.abs(value - Number(c)) > tolerance) return { equation: whole.trim(), expected: Number(value.toPrecision(12)) }
  }
  return null
}

export function applyRules(input: RuleInput): RuleHit | null {
  const truncated = truncation(input)
  if (truncated) return { rule: 'truncated', errorType: 'format', note: `truncated: ${truncated}` }
  const answer = stored(input.answer) ?? finalAnswerIn(input.response)
  if (answer === null || answer === '') return { rule: 'no-final-answer', errorType: 'format', note: 'no-final-answer: no stored answer and none in the text' }
  const gold = stored(input.gold)
  if (gold !== null && NUMBER_RE.test(gold) && !/\d/.test(answer)) {
    return { rule: 'unparsable', errorType: 'format', note: `unparsable: the gold answer is the number ${gold}, the final answer "${answer.slice(0, 60)}" has no digit` }
  }
  const slip = arithmeticSlip(input.response)
  if (slip) return { rule: 'arithmetic-slip', errorType: 'calculation', note: `arithmetic-slip: "${slip.equation}" (it is ${slip.expected})` }
  return null
}
