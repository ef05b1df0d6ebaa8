// A word-level tokenizer over a fixed vocabulary. Every synthetic task writes its text from these
// tokens, so encoding is exact and every token carries its character span in the rendered text,
// which is what the planning mask (SPEC §2: token/occurrence overlap) needs.

export const PAD = '<pad>'
export const EOS = '<eos>'

/** Tokens written without a space before them. */
const ATTACHED = new Set([',', '.', ':', ';', '?', '!'])

export interface Decoded {
  text: string
  /** Character span of each token; `<eos>` and `<pad>` get an empty span at the end of the text. */
  starts: Int32Array
  ends: Int32Array
}

export class WordTokenizer {
  readonly vocab: readonly string[]
  readonly padId: number
  readonly eosId: number
  private readonly index: Map<string, number>

  constructor(words: readonly string[]) {
    const vocab = [PAD, EOS, ...words.filter((w) => w !== PAD && w !== EOS)]
    this.index = new Map()
    vocab.forEach((w, i) => {
      if (this.index.has(w)) throw new Error(`duplicate vocabulary entry '${w}'`)
      this.index.set(w, i)
    })
    this.vocab = vocab
    this.padId = 0
    this.eosId = 1
  }

  get size(): number {
    return this.vocab.length
  }

  id(word: string): number {
    const i = this.index.get(word)
    if (i === undefined) throw new Error(`word '${word}' is not in the vocabulary`)
    return i
  }

  has(word: string): boolean {
    return this.index.has(word)
  }

  ids(words: readonly string[]): number[] {
    return words.map((w) => this.id(w))
  }

  /** Splits canonical text (as `decode` writes it) back into ids. */
  encode(text: string): number[] {
    const words = text.replace(/([,.:;?!])/g, ' $1 ').split(/\s+/).filter(Boolean)
    return this.ids(words)
  }

  /** Renders ids as text; stops rendering at the first `<eos>` but still gives it (and later ids) a span. */
  decode(ids: ArrayLike<number>): Decoded {
    const starts = new Int32Array(ids.length)
    const ends = new Int32Array(ids.length)
    let text = ''
    let ended = false
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]
      if (ended || id === this.eosId || id === this.padId) {
        ended = ended || id === this.eosId
        starts[i] = ends[i] = text.length
        continue
      }
      const w = this.vocab[id]
      if (w === undefined) throw new Error(`token id ${id} is outside the vocabulary`)
      if (text.length > 0 && !ATTACHED.has(w)) text += ' '
      starts[i] = text.length
      text += w
      ends[i] = text.length
    }
    return { text, starts, ends }
  }

  /** The words of ids up to (not including) the first `<eos>`. */
  words(ids: ArrayLike<number>): string[] {
    const out: string[] = []
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] === this.eosId) break
      if (ids[i] !== this.padId) out.push(this.vocab[ids[i]])
    }
    return out
  }
}

export function numberWords(max: number): string[] {
  return Array.from({ length: max + 1 }, (_, i) => String(i))
}
