import { readFileSync } from 'node:fs'
import type { Tokenizer } from '@huggingface/tokenizers'
import { loadTokenizer } from '../../core'

export class TokenizerLoadError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TokenizerLoadError'
  }
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
