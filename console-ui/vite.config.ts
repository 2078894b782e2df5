// Builds the console page into console-ui/dist (npm run build:console; npm install runs it as the
// prepare script). Everything the page needs is bundled: no request leaves for the network at run
// time. `npx vite console-ui` serves it for development, with /api proxied to a running
// `samsa console` on port 8080.
import { defineConfig } from 'vite'

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: { proxy: { '/api': 'http://localhost:8080' } },
})
