// Stop and pause for a running trainer. The trainer checks between steps, so a stop or pause
// takes effect after the current step (which is never left half-applied).

export class TrainControl {
  private stopRequested = false
  private pausedFlag = false
  private waiters: (() => void)[] = []

  stop(): void {
    this.stopRequested = true
    this.wake()
  }

  pause(): void {
    this.pausedFlag = true
  }

  resume(): void {
    this.pausedFlag = false
    this.wake()
  }

  get stopped(): boolean {
    return this.stopRequested
  }

  get paused(): boolean {
    return this.pausedFlag
  }

  /** Resolves at once unless paused; then when resumed or stopped. */
  waitWhilePaused(): Promise<void> {
    if (!this.pausedFlag || this.stopRequested) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  private wake(): void {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }
}
