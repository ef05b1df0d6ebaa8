#!/usr/bin/env node
// The CLI runs the TypeScript sources through tsx, so `hicra` always matches the code in src/
// without a separate build; the desktop app is the part that gets bundled.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../src/cli/main.ts')
process.exitCode = await main(process.argv.slice(2))
