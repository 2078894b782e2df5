// Golden frames: requests real clients sent and responses Apache Kafka returned, recorded by
// scripts/capture-golden.ts (test/fixtures/golden/<client>/<Api>-v<version>-<request|response>-<n>.bin,
// each a frame without its size prefix). Every one decodes with samsa's codec and re-encodes to
// exactly the same bytes. No peer is needed: the bytes are committed.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ALL_APIS } from '../../../src/protocol/messages/index.ts'
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../../../src/protocol/RequestHeader.ts'
import type { Api, MsgInput, Fields } from '../../../src/protocol/schema.ts'

const GOLDEN_DIR = fileURLToPath(new URL('../../fixtures/golden/', import.meta.url))
const NAME = /^(\w+)-v(\d+)-(request|response)-\d+\.bin$/
/** The clients scripts/capture-golden.ts records; each must have left fixtures. */
const CLIENTS = ['java', 'kafka-python', 'kafkajs', 'kcat', 'platformatic-kafka']

function withSize (frame: Buffer): Buffer {
  const size = Buffer.allocUnsafe(4)
  size.writeInt32BE(frame.length, 0)
  return Buffer.concat([size, frame])
}

function firstDifference (a: Buffer, b: Buffer): string {
  let i = 0
  while (i < a.length && i < b.length && a[i] === b[i]) i++
  return `lengths ${a.length}/${b.length}, first difference at byte ${i}: …${a.subarray(Math.max(0, i - 8), i + 8).toString('hex')}… vs …${b.subarray(Math.max(0, i - 8), i + 8).toString('hex')}…`
}

const clients = (await readdir(GOLDEN_DIR, { withFileTypes: true })).filter(d => d.isDirectory()).map(d => d.name).sort()

test('fixtures exist for every captured client', () => {
  assert.deepEqual(clients, CLIENTS)
})

for (const client of clients) {
  const files = (await readdir(join(GOLDEN_DIR, client))).filter(f => f.endsWith('.bin')).sort()
  test(`${client}: ${files.length} frames decode and re-encode byte for byte`, async (t) => {
    assert.ok(files.length > 0, `no fixtures for ${client}`)
    for (const file of files) {
      const m = NAME.exec(file)
      assert.ok(m !== null, `unexpected fixture name ${file}`)
      const [, apiName, versionText, direction] = m
      const version = Number(versionText)
      const api = (ALL_APIS as readonly Api[]).find(a => a.name === apiName)
      assert.ok(api !== undefined, `${file}: no API named ${apiName}`)
      const frame = await readFile(join(GOLDEN_DIR, client, file))
      await t.test(file, () => {
        if (direction === 'request') {
          const { header, body } = decodeRequest(api, frame)
          assert.equal(header.requestApiKey, api.key)
          assert.equal(header.requestApiVersion, version)
          const again = encodeRequest(api, version, header.correlationId, header.clientId, body as MsgInput<Fields>)
          assert.ok(again.equals(withSize(frame)), `${file}: ${firstDifference(again, withSize(frame))}`)
        } else {
          const { correlationId, body } = decodeResponse(api, version, frame)
          const again = Buffer.concat(encodeResponse(api, version, correlationId, body as MsgInput<Fields>))
          assert.ok(again.equals(withSize(frame)), `${file}: ${firstDifference(again, withSize(frame))}`)
        }
      })
    }
  })
}
