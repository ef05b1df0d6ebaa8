/** A `hicra` command: its help text and its action over the remaining arguments. */
export interface Command {
  name: string
  summary: string
  usage: string
  run(argv: string[]): Promise<number>
}

/** Thrown for bad command lines; printed as `hicra: <message>` with exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}
