import { app, BrowserWindow, dialog, ipcMain, session, shell, type WebContents } from 'electron'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createBackend, type Backend } from '../backend'
import { CONTENT_SECURITY_POLICY } from '../server/static'
import { StoreError } from '../store'
import { checkPickRequest, dialogProperties } from '../../shared/pick'
import { externalLinkAction, isOwnRenderer } from './guards'
import { safeStorageCodec } from './secrets'

// The only folder that imports 'electron': it wires the shared back end to IPC and owns the window.

const here = dirname(fileURLToPath(import.meta.url))
const rendererUrl = process.env['ELECTRON_RENDERER_URL']
const rendererFile = join(here, '../renderer/index.html')
let backend: Backend | null = null

/** better-sqlite3 built for Electron's ABI by scripts/start.mjs; the Node build serves tests and CLI. */
function electronNativeBinding(): string | undefined {
  const p = join(app.getAppPath(), '.native', 'electron', 'better_sqlite3.node')
  return existsSync(p) ? p : undefined
}

function isOurFrame(url: string | undefined): boolean {
  return isOwnRenderer(url, { file: rendererFile, devUrl: rendererUrl })
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    show: false,
    title: 'HICRA Workbench',
    webPreferences: {
      preload: join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false
    }
  })
  win.once('ready-to-show', () => win.show())
  if (rendererUrl) void win.loadURL(rendererUrl)
  else void win.loadFile(rendererFile)
  return win
}

function lockDown(contents: WebContents): void {
  // No frame of the window, top or nested, may navigate or be redirected away from the app.
  const stay = (event: { preventDefault(): void }, url: string) => {
    if (!isOurFrame(url)) event.preventDefault()
  }
  contents.on('will-navigate', (event, url) => stay(event, url))
  contents.on('will-redirect', (event, url) => stay(event, url))
  contents.on('will-frame-navigate', (event) => stay(event, event.url))
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(({ url }) => {
    // Nothing opens inside the app; an https link opens in the user's browser once they agree.
    if (externalLinkAction(url) === 'ask') void askToOpen(contents, url)
    return { action: 'deny' }
  })
}

async function askToOpen(contents: WebContents, url: string): Promise<void> {
  const win = BrowserWindow.fromWebContents(contents)
  const opts = { type: 'question' as const, buttons: ['Open in browser', 'Cancel'], defaultId: 1, cancelId: 1,
    message: 'Open this link in your browser?', detail: url }
  const r = win ? await dialog.showMessageBox(win, opts) : await dialog.showMessageBox(opts)
  if (r.response === 0) await shell.openExternal(url)
}

app.on('web-contents-created', (_e, contents) => lockDown(contents))

void app.whenReady().then(() => {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } })
  })
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
  // The app needs no permission (camera, notifications, clipboard reads, …): checks say no too.
  session.defaultSession.setPermissionCheckHandler(() => false)

  const dbPath = process.env['HICRA_DB'] || join(app.getPath('userData'), 'workspace.db')
  try {
    // The judge's API key: encrypted with the OS keychain where there is one (safeStorage).
    backend = createBackend(dbPath, { transport: 'ipc', nativeBinding: electronNativeBinding(), secretCodec: safeStorageCodec() })
  } catch (err) {
    dialog.showErrorBox('HICRA Workbench cannot open its workspace', err instanceof StoreError ? err.message : String(err))
    app.exit(1)
    return
  }
  const b = backend

  ipcMain.handle('api:invoke', async (event, channel: unknown, req: unknown) => {
    if (!isOurFrame(event.senderFrame?.url)) {
      return { ok: false, error: { code: 'invalid_argument', message: 'IPC from an unknown frame was refused' } }
    }
    if (typeof channel !== 'string') return { ok: false, error: { code: 'unknown_channel', message: 'channel must be a string' } }
    return b.invoke(channel, req)
  })
  // The import dialog's Browse buttons: paths on this machine, which the back end reads.
  ipcMain.handle('dialog:pick', async (event, raw: unknown) => {
    if (!isOurFrame(event.senderFrame?.url)) throw new Error('IPC from an unknown frame was refused')
    const req = checkPickRequest(raw)
    const win = BrowserWindow.fromWebContents(event.sender)
    const opts = { title: req.title, filters: req.filters, properties: dialogProperties(req.kind) }
    const r = win ? await dialog.showOpenDialog(win, opts) : await dialog.showOpenDialog(opts)
    return r.canceled ? [] : r.filePaths
  })
  b.ctx.events.onAny((name, payload) => {
    for (const win of BrowserWindow.getAllWindows()) {
      if (!win.isDestroyed()) win.webContents.send('api:event', name, payload)
    }
  })

  createWindow()
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow()
  })
})

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})

app.on('will-quit', () => {
  backend?.close()
  backend = null
})
