import type { ErrorTaxonomy } from '../../core/errorTypes'

/** Where the LLM judge lives and how to ask it; stored in `settings` as `errors.judge`. */
export interface JudgeConfig {
  baseUrl: string
  model: string
  apiKey: string
  prompt: string
  concurrency: number
  timeoutSeconds: number
}

export const DEFAULT_JUDGE_PROMPT = `You classify why a model's answer to a reasoning problem is wrong.

Error types:
{taxonomy}

Problem:
{prompt}

Gold answer: {gold}
The model's final answer: {answer}

The model's response:
{response}

Reply with one line of JSON and nothing else: {"error_type": "<one of {ids}>"}`

export const DEFAULT_JUDGE_CONFIG: JudgeConfig = {
  baseUrl: '',
  model: '',
  apiKey: '',
  prompt: DEFAULT_JUDGE_PROMPT,
  concurrency: 4,
  timeoutSeconds: 60
}

export interface JudgeItem {
  prompt: string | null
  response: string
  answer: string | null
  gold: string | null
}

/** Fills the prompt template; unknown `{names}` are left as they are. */
export function renderJudgePrompt(template: string, tax: ErrorTaxonomy, item: JudgeItem): string {
  const values: Record<string, string> = {
    taxonomy: tax.types.map((t) => `- ${t.id} (${t.group}): ${t.meaning}`).join('\n'),
    ids: tax.types.map((t) => t.id).join(', '),
    prompt: item.prompt ?? '(not recorded)',
    response: item.response,
    answer: item.answer ?? '(none)',
    gold: item.gold ?? '(not recorded)'
  }
  // One pass, so a response that contains "{gold}" is not substituted again.
  return template.replace(/\{(taxonomy|ids|prompt|response|answer|gold)\}/g, (_, k: string) => values[k]!)
}

/** `http://host/v1` → `http://host/v1/chat/completions`; a full endpoint URL is kept. */
export function completionsUrl(baseUrl: string): string {
  const u = baseUrl.trim().replace(/\/+$/, '')
  if (/\/chat\/completions$/.test(u)) return u
  if (/\/v\d+$/.test(u)) return `${u}/chat/completions`
  return `${u}/v1/chat/completions`
}

/** A failure of the whole judge run (wrong URL, key or model): no point asking again per item. */
export class JudgeEndpointError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'JudgeEndpointError'
  }
}

/** One item's reply could not be used; the run goes on with the next item. */
export class JudgeItemError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'JudgeItemError'
  }
}

/**
 * The error type a reply names: a JSON object's `error_type`, else a line `error_type: x`, else
 * the one taxonomy id that the reply mentions as a word. Anything else is unparsable.
 */
export function parseJudgeReply(content: string, tax: ErrorTaxonomy): string {
  const ids = new Set(tax.types.map((t) => t.id))
  const excerpt = JSON.stringify(content.length > 120 ? content.slice(0, 120) + '…' : content)
  const check = (id: string) => {
    const v = id.trim().toLowerCase()
    if (!ids.has(v)) throw new JudgeItemError(`the judge named "${id}", which is not in the taxonomy (${[...ids].join(', ')}); reply ${excerpt}`)
    return v
  }
  for (const m of content.matchAll(/\{[^{}]*\}/g)) {
    try {
      const obj = JSON.parse(m[0]) as Record<string, unknown>
      const v = obj.error_type ?? obj.errorType ?? obj.type
      if (typeof v === 'string') return check(v)
    } catch {
      // not JSON: try the next object or the other forms
    }
  }
  const line = /error[_ ]?type"?\s*[:=]\s*"?([A-Za-z][\w-]*)/i.exec(content)
  if (line) return check(line[1]!)
  const named = [...ids].filter((id) => new RegExp(`(^|[^\\w-])${id.replace(/[-]/g, '\\-')}($|[^\\w-])`, 'i').test(content))
  if (named.length === 1) return named[0]!
  throw new JudgeItemError(named.length > 1
    ? `the reply names several error types (${named.join(', ')}); reply ${excerpt}`
    : `the reply names no error type; reply ${excerpt}`)
}

function describeFetchError(err: unknown, url: string): JudgeEndpointError {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause
  const why = cause?.code ?? cause?.message ?? (err as Error).message
  return new JudgeEndpointError(`cannot reach the judge endpoint ${url}: ${why}`)
}

/** Asks the endpoint about one failure; returns the error type and the model's raw reply. */
export async function judgeOne(cfg: JudgeConfig, tax: ErrorTaxonomy, item: JudgeItem, signal: AbortSignal):
  Promise<{ errorType: string; reply: string }> {
  const url = completionsUrl(cfg.baseUrl)
  const timeout = AbortSignal.timeout(cfg.timeoutSeconds * 1000)
  const both = AbortSignal.any([signal, timeout])
  let res: Response
  try {
    res = await fetch(url, {
      method: 'POST',
      signal: both,
      headers: { 'Content-Type': 'application/json', ...(cfg.apiKey ? { Authorization: `Bearer ${cfg.apiKey}` } : {}) },
      body: JSON.stringify({
        model: cfg.model,
        temperature: 0,
        messages: [{ role: 'user', content: renderJudgePrompt(cfg.prompt, tax, item) }]
      })
    })
  } catch (err) {
    if (signal.aborted) throw err
    if (timeout.aborted) throw new JudgeItemError(`no reply within ${cfg.timeoutSeconds} s`)
    throw describeFetchError(err, url)
  }
  let text: string
  try {
    text = await res.text()
  } catch (err) {
    if (signal.aborted) throw err
    if (timeout.aborted) throw new JudgeItemError(`no complete reply within ${cfg.timeoutSeconds} s`)
    throw new JudgeItemError(`the reply broke off: ${(err as Error).message}`)
  }
  if (res.status === 401 || res.status === 403 || res.status === 404) {
    // Wrong key, model or URL: every other item would fail the same way.
    throw new JudgeEndpointError(`the judge endpoint ${url} answered HTTP ${res.status}: ${text.slice(0, 200)}`)
  }
  if (!res.ok) throw new JudgeItemError(`HTTP ${res.status}: ${text.slice(0, 200)}`)
  let content: unknown
  try {
    content = (JSON.parse(text) as { choices?: { message?: { content?: unknown } }[] }).choices?.[0]?.message?.content
  } catch {
    throw new JudgeItemError(`the endpoint did not answer JSON: ${JSON.stringify(text.slice(0, 120))}`)
  }
  if (typeof content !== 'string') throw new JudgeItemError('the reply has no choices[0].message.content (is this an OpenAI-compatible /v1/chat/completions endpoint?)')
  return { errorType: parseJudgeReply(content, tax), reply: content }
}

/**
 * Runs `work` over `items` with at most `limit` in flight. The first thrown error that is not a
 * JudgeItemError stops new work and is rethrown once in-flight items settle.
 */
export async function pool<T>(items: readonly T[], limit: number, signal: AbortSignal, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  let fatal: unknown = null
  const worker = async () => {
    while (fatal === null && !signal.aborted && next < items.length) {
      const item = items[next++]!
      try {
        await work(item)
      } catch (err) {
        if (!(err instanceof JudgeItemError)) fatal ??= err
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  if (fatal !== null) throw fatal
}
