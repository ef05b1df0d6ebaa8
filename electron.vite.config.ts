import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'

// Native modules (better-sqlite3) and tfjs stay external: electron-vite externalizes dependencies by
// default. The preload is bundled whole as CommonJS, which a sandboxed preload requires.
export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        // The training worker is its own entry: workerHost starts `./worker.js` beside the main bundle.
        input: {
          index: resolve(__dirname, 'src/main/electron/main.ts'),
          worker: resolve(__dirname, 'src/engine/worker.ts')
        }
      }
    }
  },
  preload: {
    build: {
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' }
      }
    }
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    resolve: { alias: { '@renderer': resolve(__dirname, 'src/renderer/src') } },
    build: {
      rollupOptions: { input: { index: resolve(__dirname, 'src/renderer/index.html') } }
    },
    plugins: [vue()]
  }
})
