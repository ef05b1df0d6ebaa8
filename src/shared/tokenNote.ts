/**
 * What a `length` over some rollouts counts (SPEC §4: tokens where a rollout carries token spans,
 * words otherwise), from how many of them carry spans.
 */
export function lengthUnitOf(withTokens: number, rollouts: number): 'tokens' | 'words' | 'tokens or words' {
  return withTokens === rollouts ? 'tokens' : withTokens === 0 ? 'words' : 'tokens or words'
}

/** What an import's token data allows, for its summary (CLI and app); token-level metrics need spans. */
export function tokenNote(withTokens: number, rollouts: number): string {
  if (rollouts === 0) return 'No token data: no rollout was stored.'
  const unit = lengthUnitOf(withTokens, rollouts)
  if (unit === 'tokens') return 'Token spans for every rollout: length counts tokens.'
  if (unit === 'words') {
    return 'No token data: length counts words; token-level metrics need tokens or token_offsets in the records, or a tokenizer.json.'
  }
  return `Token spans for ${withTokens.toLocaleString('en-US')} of ${rollouts.toLocaleString('en-US')} rollouts: length counts tokens for those, words for the rest.`
}
