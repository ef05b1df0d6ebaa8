#!/usr/bin/env node
// `npm start`: build, then open the desktop app; where that cannot work (no display, no Electron
// binary, no Electron build of better-sqlite3) say why and serve the same app on 127.0.0.1 instead.
import { spawn, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { installFailure, superviseChild } from './startLib.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const passArgs = process.argv.slice(2)

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts })
  return r.status === 0
}

function serveInstead(reason) {
  console.error(`\nThe desktop window cannot open here: ${reason}`)
  console.error('Serving the same app on 127.0.0.1 instead; open the URL below in a browser.\n')
  const child = spawn(process.execPath, [join(root, 'bin', 'hicra.mjs'), 'serve', ...passArgs], { cwd: root, stdio: 'inherit' })
  superviseChild(child)
}

/** Electron's binary: fetched by electron's own install.js on first start (npm install skips it). */
function electronBinary() {
  const pkgDir = dirname(require.resolve('electron/package.json'))
  const pathFile = join(pkgDir, 'path.txt')
  if (!existsSync(pathFile)) {
    console.log('Fetching the Electron binary (first start only)…')
    // Its installer prints a raw stack when offline (getaddrinfo ENOTFOUND): keep its output and
    // show one line of why; our own message follows.
    const r = spawnSync(process.execPath, [join(pkgDir, 'install.js')], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    if (r.status !== 0) {
      console.error(`Fetching Electron failed: ${installFailure(`${r.stdout ?? ''}\n${r.stderr ?? ''}`)}`)
      return null
    }
  }
  try {
    return require('electron')
  } catch {
    return null
  }
}

/** better-sqlite3 rebuilt against Electron's headers, kept beside the Node build (.native/electron). */
function electronSqlite(electronVersion) {
  const target = join(root, '.native', 'electron', 'better_sqlite3.node')
  const stamp = join(root, '.native', 'electron', 'version.txt')
  if (existsSync(target) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === electronVersion) return target
  console.log(`Building better-sqlite3 for Electron ${electronVersion} (first start only, about 90 s)…`)
  const src = dirname(require.resolve('better-sqlite3/package.json'))
  const work = join(root, '.native', 'build-better-sqlite3')
  rmSync(work, { recursive: true, force: true })
  mkdirSync(work, { recursive: true })
  cpSync(src, work, { recursive: true, filter: (p) => !p.includes(`${join('build', 'Release')}`) })
  // node-gyp ships inside npm; `npm start` tells us where npm lives.
  const npmDirs = [process.env.npm_execpath && join(dirname(process.env.npm_execpath), '..'),
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm'), root].filter(Boolean)
  let gyp
  try {
    gyp = require.resolve('node-gyp/bin/node-gyp.js', { paths: npmDirs })
  } catch {
    return null
  }
  const ok = run(process.execPath, [gyp, 'rebuild', '--release', `--target=${electronVersion}`, '--dist-url=https://electronjs.org/headers', '--runtime=electron'], { cwd: work })
  if (!ok) return null
  mkdirSync(dirname(target), { recursive: true })
  cpSync(join(work, 'build', 'Release', 'better_sqlite3.node'), target)
  spawnSync('sh', ['-c', `echo ${electronVersion} > "${stamp}"`])
  rmSync(work, { recursive: true, force: true })
  return target
}

if (!run(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'])) {
  console.error('The build failed; see the errors above.')
  process.exit(1)
}

if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
  serveInstead('no display (DISPLAY and WAYLAND_DISPLAY are unset).')
} else {
  const binary = electronBinary()
  const version = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version
  if (!binary) {
    serveInstead(`Electron's binary could not be downloaded (offline?). Retry \`npm start\` with network access.`)
  } else if (!electronSqlite(version)) {
    serveInstead('better-sqlite3 could not be built for Electron (its headers need network access on first start).')
  } else {
    const child = spawn(binary, [root, ...passArgs], { cwd: root, stdio: 'inherit' })
    superviseChild(child)
  }
}
