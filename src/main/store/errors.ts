/** Why a database could not be opened; the message always names the file and says it was left untouched. */
export type StoreErrorKind = 'newer_version' | 'corrupt' | 'foreign' | 'io'

export class StoreError extends Error {
  readonly kind: StoreErrorKind
  readonly path: string
  constructor(kind: StoreErrorKind, path: string, message: string) {
    super(message)
    this.name = 'StoreError'
    this.kind = kind
    this.path = path
  }
}
