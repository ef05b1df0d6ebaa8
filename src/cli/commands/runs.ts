import type { Command } from '../command'
import { UsageError } from '../command'
import { parse } from '../args'
import { defaultDbPath } from '../paths'
import { withBackend, call } from '../client'
import { table } from '../format'

export const runsCommand: Command = {
  name: 'runs',
  summary: 'list, rename and delete runs',
  usage: `hicra runs list [--db FILE] [--json] [--search TEXT] [--kind train|import] [--tag TAG]
hicra runs rename ID NAME [--db FILE]
hicra runs delete ID [--db FILE]

  --db FILE   workspace database (default: ${defaultDbPath()})
  --json      print JSON instead of a table`,
  async run(argv) {
    const [verb, ...rest] = argv
    const { values, positionals } = parse(rest, {
      db: { type: 'string' }, json: { type: 'boolean' }, search: { type: 'string' }, kind: { type: 'string' }, tag: { type: 'string' }
    })
    if (values.help || !verb || verb === '--help' || verb === '-h') {
      console.log(this.usage)
      return verb ? 0 : 2
    }
    return withBackend(values.db, async (backend) => {
      switch (verb) {
        case 'list': {
          const runs = await call(backend, 'runs/list', {
            ...(values.search ? { search: values.search } : {}),
            ...(values.kind ? { kind: values.kind as 'train' | 'import' } : {}),
            ...(values.tag ? { tag: values.tag } : {})
          })
          if (values.json) console.log(JSON.stringify(runs, null, 2))
          else if (runs.length === 0) console.log('No runs yet. Import rollouts with `hicra import PATH` or train with `hicra train`.')
          else console.log(table(['id', 'name', 'kind', 'status', 'steps', 'rollouts', 'created'],
            runs.map((r) => [r.id, r.name, r.kind, r.status, r.steps, r.rollouts, new Date(r.createdAt).toISOString().slice(0, 19).replace('T', ' ')])))
          return 0
        }
        case 'rename': {
          if (positionals.length !== 2) throw new UsageError('usage: hicra runs rename ID NAME')
          const run = await call(backend, 'runs/rename', { id: Number(positionals[0]), name: positionals[1]! })
          console.log(`run ${run.id} is now '${run.name}'`)
          return 0
        }
        case 'delete': {
          if (positionals.length !== 1) throw new UsageError('usage: hicra runs delete ID')
          await call(backend, 'runs/delete', { id: Number(positionals[0]) })
          console.log(`run ${positionals[0]} deleted`)
          return 0
        }
        default:
          throw new UsageError(`unknown verb 'runs ${verb}': use list, rename or delete`)
      }
    })
  }
}
