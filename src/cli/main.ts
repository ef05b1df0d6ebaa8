import { commands } from './commands'
import { UsageError } from './command'
import { ApiError } from '../shared/errors'
import { StoreError } from '../main/store/errors'

async function usage(): Promise<string> {
  const all = await Promise.all(Object.values(commands).map((load) => load()))
  const width = Math.max(...all.map((c) => c.name.length))
  return `hicra — HICRA Workbench from the command line

Usage: hicra <command> [options]     (hicra <command> --help for each)

${all.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Every command that touches a workspace takes --db FILE.`
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(await usage())
    return name ? 0 : 2
  }
  const load = Object.hasOwn(commands, name) ? commands[name] : undefined
  if (!load) {
    console.error(`hicra: unknown command '${name}'\n\n${await usage()}`)
    return 2
  }
  const command = await load()
  try {
    return await command.run(rest)
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`hicra ${name}: ${err.message}\n\n${command.usage}`)
      return 2
    }
    if (err instanceof ApiError || err instanceof StoreError) {
      console.error(`hicra ${name}: ${err.message}`)
      return 1
    }
    console.error(`hicra ${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
    return 1
  }
}
