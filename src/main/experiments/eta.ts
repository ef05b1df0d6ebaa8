// The grid's ETA. The rate is timed from the first RL step seen, not from the start: a base
// policy's warm-up before it would make the first ETAs absurd (128 hours for a grid of an hour,
// seen at step 1 of paper-mini). Until a few steps have been timed there is no ETA.

const MIN_TIMED_STEPS = 5

export class GridEta {
  private from: { t: number; steps: number } | null = null

  /** `startedSteps`: steps already done when this process started (a resumed grid). */
  constructor(private readonly startedSteps: number, private readonly stepsTotal: number) {}

  /** Seconds left, or null while fewer than a few steps have been timed. `now` in ms. */
  eta(now: number, stepsDone: number): number | null {
    if (this.from === null && stepsDone > this.startedSteps) this.from = { t: now, steps: stepsDone }
    if (this.from === null) return null
    const timed = stepsDone - this.from.steps
    const seconds = (now - this.from.t) / 1000
    if (timed < MIN_TIMED_STEPS || seconds <= 0) return null
    return (this.stepsTotal - stepsDone) / (timed / seconds)
  }
}
