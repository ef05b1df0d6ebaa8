// Shared test data: SPEC §6's worked example and a tiny byte-level BPE tokenizer.json.

export const SPEC_SGS = [
  "let's try a different approach",
  'try a different approach',
  'we can use the fact',
  'wait let me check',
  'but the problem mentions'
]
export const SPEC_A = 'Wait, let me check: 3 + 4 = 7. Let’s try a different approach. We can use the fact that 7 is prime.'
export const SPEC_B = 'We can use. The fact that x = 2 helps. But the problem mentions y; wait let me check again.'

// GPT-2's byte → printable character map.
function bytesToUnicode(): Map<number, string> {
  const bs: number[] = []
  for (let i = 33; i <= 126; i++) bs.push(i)
  for (let i = 161; i <= 172; i++) bs.push(i)
  for (let i = 174; i <= 255; i++) bs.push(i)
  const cs = bs.slice()
  let n = 0
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b)
      cs.push(256 + n)
      n++
    }
  }
  const m = new Map<number, string>()
  bs.forEach((b, i) => m.set(b, String.fromCharCode(cs[i])))
  return m
}

/** A byte-level BPE tokenizer.json with a handful of merges, as a parsed object. */
export function tinyTokenizerJson(): object {
  const vocab: Record<string, number> = {}
  let next = 0
  for (const ch of bytesToUnicode().values()) vocab[ch] = next++
  const merges = [
    ['Ġ', 'l'], ['Ġl', 'e'], ['Ġle', 't'], ['W', 'a'], ['Wa', 'i'], ['Wai', 't'], ['Ġ', 'm'], ['Ġm', 'e'],
    ['Ġ', 'c'], ['Ġc', 'h'], ['Ġch', 'e'], ['Ġche', 'c'], ['Ġchec', 'k']
  ]
  for (const [a, b] of merges) vocab[a + b] = next++
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: merges.map((m) => m.join(' '))
    }
  }
}
