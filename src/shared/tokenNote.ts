/**
 * What an import's token data allows, for its summary (CLI and app): SPEC §4's `length` counts
 * tokens where a rollout carries token spans and words otherwise, and token-level metrics need them.
 */
export function tokenNote(withTokens: number, rollouts: number): string {
  if (withTokens === rollouts) return 'Token spans for every rollout: length counts tokens.'
  if (withTokens === 0) {
    return 'No token data: length counts words; token-level metrics need tokens or token_offsets in the records, or a tokenizer.json.'
  }
  return `Token spans for ${withTokens.toLocaleString('en-US')} of ${rollouts.toLocaleString('en-US')} rollouts: length counts tokens for those, words for the rest.`
}
