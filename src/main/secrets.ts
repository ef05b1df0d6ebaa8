import type { Db } from './store'

/**
 * Where the back end keeps secrets (the judge's API key). Pluggable because where a secret may
 * live depends on the shell: the desktop app encrypts it with the OS keychain (Electron
 * safeStorage, src/main/electron), the CLI and `hicra serve` keep it in the workspace file, which
 * only its owner can read (mode 0600).
 */
export interface SecretStore {
  /** Where secrets live, in words the app and the CLI show. */
  readonly where: string
  get(name: string): string | null
  set(name: string, value: string | null): void
}

/** How a secret is turned into the text stored in the workspace, and back. */
export interface SecretCodec {
  readonly where: string
  /** A tag stored before the text, so a secret written by another shell is told apart. */
  readonly tag: string
  encode(plain: string): string
  /** null when this codec cannot read it (encrypted for another user or machine). */
  decode(stored: string): string | null
}

export function plainCodec(dbPath: string): SecretCodec {
  return {
    where: `the workspace database ${dbPath} (readable by your user only, file mode 0600)`,
    tag: 'plain',
    encode: (p) => p,
    decode: (s) => s
  }
}

/** Secrets as rows of the workspace's `settings` table (`secret.<name>` → `<tag>:<encoded>`). */
export class SettingsSecretStore implements SecretStore {
  readonly where: string
  constructor(private readonly db: Db, private readonly codec: SecretCodec) {
    this.where = codec.where
  }

  get(name: string): string | null {
    const v = this.db.prepare('SELECT value FROM settings WHERE key = ?').pluck().get(`secret.${name}`) as string | undefined
    if (v === undefined) return null
    const colon = v.indexOf(':')
    if (colon < 0 || v.slice(0, colon) !== this.codec.tag) return null
    return this.codec.decode(v.slice(colon + 1))
  }

  set(name: string, value: string | null): void {
    if (value === null) this.db.prepare('DELETE FROM settings WHERE key = ?').run(`secret.${name}`)
    else this.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
      .run(`secret.${name}`, `${this.codec.tag}:${this.codec.encode(value)}`)
  }
}
