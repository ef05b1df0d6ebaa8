import type { Command } from '../command'

/**
 * Every `hicra` command by name, loaded when it runs: a command then starts without the modules
 * of the others (`analyze` needs neither SQLite nor the API contract's validators, whose loading
 * was half of its 0.2 s start). Add a new one by listing it here.
 */
export const commands: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./serve')).serveCommand,
  runs: async () => (await import('./runs')).runsCommand,
  import: async () => (await import('./import')).importCommand,
  analyze: async () => (await import('./analyze')).analyzeCommand,
  export: async () => (await import('./export')).exportCommand,
  sg: async () => (await import('./sg')).sgCommand,
  errors: async () => (await import('./errors')).errorsCommand,
  train: async () => (await import('./train')).trainCommand,
  experiment: async () => (await import('./experiment')).experimentCommand
}
