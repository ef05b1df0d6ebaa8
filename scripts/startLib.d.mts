// Types of scripts/startLib.mjs (plain JavaScript, run by `npm start` before anything is built).
import type { ChildProcess } from 'node:child_process'

export function superviseChild(child: ChildProcess, proc?: NodeJS.Process): void
export function installFailure(output: string): string
