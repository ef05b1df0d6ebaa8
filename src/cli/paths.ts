import { homedir } from 'node:os'
import { join } from 'node:path'

/** The workspace database used when `--db` is not given: $HICRA_DB, else the XDG data folder. */
export function defaultDbPath(): string {
  if (process.env.HICRA_DB) return process.env.HICRA_DB
  const base = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share')
  return join(base, 'hicra-workbench', 'workspace.db')
}
