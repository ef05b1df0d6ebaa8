// The rollout channels' shapes (rollouts/page, rollouts/get) for the explorer's components.
import type { Req } from '../../../../shared/contract'

export type { RolloutSummary, RolloutDetail } from '../../../../shared/api/rollouts'
export type RolloutFilter = Req<'rollouts/page'>
