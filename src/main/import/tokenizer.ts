import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Tokenizer } from '@huggingface/tokenizers'

export class TokenizerLoadError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TokenizerLoadError'
  }
}

// The tokenizers package (~100 KB of JavaScript) is loaded with the first tokenizer: a thread that
// reads none, as most imports and analyses do (verl dumps carry no tokens), is spared its ~20 ms of
// loading (issue #18: the CLI paid it before an analysis began, and each worker as it booted).
let tokenizers: typeof import('@huggingface/tokenizers') | undefined

/** Builds a tokenizer from tokenizer.json (its text or the parsed object). */
export function loadTokenizer(tokenizerJson: string | object, tokenizerConfig: object = {}): Tokenizer {
  tokenizers ??= createRequire(import.meta.url)('@huggingface/tokenizers') as typeof import('@huggingface/tokenizers')
  const json = typeof tokenizerJson === 'string' ? JSON.parse(tokenizerJson) : tokenizerJson
  return new tokenizers.Tokenizer(json, tokenizerConfig)
}

/** A Hugging Face tokenizer.json, read once per import. */
export function readTokenizer(path: string): Tokenizer {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    throw new TokenizerLoadError(`cannot read the tokenizer ${path}: ${(e as Error).message}`)
  }
  try {
    return loadTokenizer(text)
  } catch (e) {
    throw new TokenizerLoadError(`${path} is not a usable tokenizer.json: ${(e as Error).message}`)
  }
}
