// `npm run build:console`, and npm's prepare script (so `npm install` and `npm ci` build the page):
// bundles console-ui into console-ui/dist with Vite. Without Vite (an install that left out the
// devDependencies) it says so and exits 0: samsa runs without the page, and `samsa console` then
// explains how to build it.
import { fileURLToPath } from 'node:url'

const configFile = fileURLToPath(new URL('./vite.config.ts', import.meta.url))
let vite: typeof import('vite')
try {
  vite = await import('vite')
} catch {
  process.stdout.write('console-ui: vite is not installed (devDependencies left out?); the web console page is not built\n')
  process.exit(0)
}
await vite.build({ configFile })
process.stdout.write(`console-ui: built into ${fileURLToPath(new URL('./dist/', import.meta.url))}\n`)
