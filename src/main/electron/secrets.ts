import { safeStorage } from 'electron'
import type { SecretCodec } from '../secrets'

/**
 * The desktop app's secrets: encrypted with Electron's safeStorage, whose key the OS keychain holds
 * (macOS Keychain, Windows DPAPI, libsecret/kwallet on Linux); only the ciphertext goes into the
 * workspace. Where no keychain is available (safeStorage says so, or falls back to a hard-coded
 * key on Linux), null: the workspace file keeps the key as the CLI does, and the app says so.
 */
export function safeStorageCodec(): SecretCodec | null {
  if (!safeStorage.isEncryptionAvailable()) return null
  const backend = process.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : 'os'
  if (backend === 'basic_text' || backend === 'unknown') return null
  return {
    where: 'the OS keychain (Electron safeStorage; the workspace database holds only the encrypted key)',
    tag: 'safeStorage',
    encode: (plain) => safeStorage.encryptString(plain).toString('base64'),
    decode: (stored) => {
      try {
        return safeStorage.decryptString(Buffer.from(stored, 'base64'))
      } catch {
        return null
      }
    }
  }
}
