import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

/** The package version, read once from package.json two or three folders up (source or bundle). */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'hicra-workbench' && pkg.version) return pkg.version
    } catch {
      // keep walking up
    }
    dir = dirname(dir)
  }
  return '0.0.0'
}
