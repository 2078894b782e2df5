// Generates docs/config.md from the config tables and docs/compatibility.md from the handler
// registry (API x versions served) and the interop matrix the tests declare.
//   node scripts/generate-docs.ts           write the files
//   node scripts/generate-docs.ts --check   exit 1 if the committed files differ
import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { renderDocs } from '../src/config/renderDocs.ts'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const docs = await renderDocs()
const check = process.argv.includes('--check')
let differ = 0
for (const [name, text] of docs) {
  const path = join(root, 'docs', name)
  if (check) {
    if (!existsSync(path) || readFileSync(path, 'utf8') !== text) { console.error(`docs/${name} is out of date: run npm run docs`); differ++ }
  } else {
    writeFileSync(path, text)
  }
}
if (differ > 0) process.exit(1)
console.log(check ? 'docs are up to date' : `wrote ${docs.size} docs`)
