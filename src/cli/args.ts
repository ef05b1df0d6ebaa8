import { parseArgs, type ParseArgsConfig } from 'node:util'
import { UsageError } from './command'
import { parseMapArgs } from '../main/import/mapping'
import { IMPORT_FORMATS, type ImportFormat } from '../main/import/sources'

type Options = NonNullable<ParseArgsConfig['options']>

/**
 * `--steps -3` as `--steps=-3`: parseArgs refuses a value that starts with a dash ("argument is
 * ambiguous"), so a negative number would never reach the option's own range check and message.
 */
function joinNegativeValues(argv: string[], options: Options): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const next = argv[i + 1]
    if (next !== undefined && /^-(\d|\.\d)/.test(next)) {
      const long = a.startsWith('--') ? a.slice(2) : /^-[^-]$/.test(a) ? Object.keys(options).find((k) => options[k]!.short === a[1]) : undefined
      if (long !== undefined && options[long]?.type === 'string') {
        out.push(`--${long}=${next}`)
        i++
        continue
      }
    }
    out.push(a)
  }
  return out
}

/** parseArgs with our error style: unknown flags and missing values become UsageErrors. */
export function parse<O extends Options>(argv: string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({ args: joinNegativeValues(argv, options), options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true })
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
