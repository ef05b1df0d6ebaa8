// One error shape crosses every transport, so the renderer and the CLI can show the same message
// and tests can assert on `code` and `field` instead of parsing prose.
export type ApiErrorCode =
  | 'invalid_argument'
  | 'unknown_channel'
  | 'unauthorized'
  | 'not_found'
  | 'conflict'
  | 'cancelled'
  | 'unavailable'
  | 'internal'

export interface ApiErrorShape {
  code: ApiErrorCode
  message: string
  /** Dotted path of the offending request field, when the error is about one. */
  field?: string
}

export class ApiError extends Error implements ApiErrorShape {
  readonly code: ApiErrorCode
  readonly field?: string
  constructor(code: ApiErrorCode, message: string, field?: string) {
    super(message)
    this.name = 'ApiError'
    this.code = code
    if (field !== undefined) this.field = field
  }
  toJSON(): ApiErrorShape {
    return this.field === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, field: this.field }
  }
}

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiErrorShape }

export function isApiErrorShape(v: unknown): v is ApiErrorShape {
  return typeof v === 'object' && v !== null && typeof (v as ApiErrorShape).code === 'string' &&
    typeof (v as ApiErrorShape).message === 'string'
}
