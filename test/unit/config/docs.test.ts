// docs/ generated from the tables must match what is committed (fastify's integrity check).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { renderDocs } from '../../../src/config/renderDocs.ts'

test('generated docs are committed and up to date (npm run docs regenerates them)', async () => {
  for (const [name, text] of await renderDocs()) {
    assert.equal(readFileSync(new URL(`../../../docs/${name}`, import.meta.url), 'utf8'), text, `docs/${name} is stale: run npm run docs`)
  }
})
