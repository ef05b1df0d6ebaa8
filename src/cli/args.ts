import { parseArgs, type ParseArgsConfig } from 'node:util'
import { UsageError } from './command'
import { parseMapArgs } from '../main/import/mapping'
import { IMPORT_FORMATS, type ImportFormat } from '../main/import/sources'

type Options = NonNullable<ParseArgsConfig['options']>

/** parseArgs with our error style: unknown flags and missing values become UsageErrors. */
export function parse<O extends Options>(argv: string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true })
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''))
  }
}

export function intOption(value: string | undefined, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer in [${min}, ${max}], got '${value}'`)
  return n
}

/** --format of import and analyze. */
export function formatOption(v: string | undefined): ImportFormat | undefined {
  if (v === undefined) return undefined
  if (!(IMPORT_FORMATS as readonly string[]).includes(v)) throw new UsageError(`--format must be one of ${IMPORT_FORMATS.join(', ')}, got '${v}'`)
  return v as ImportFormat
}

/** --map FIELD=NAME pairs of import and analyze. */
export function mapOption(v: string[] | undefined): Record<string, string> | undefined {
  if (!v || v.length === 0) return undefined
  try {
    return parseMapArgs(v)
  } catch (e) {
    throw new UsageError((e as Error).message)
  }
}
