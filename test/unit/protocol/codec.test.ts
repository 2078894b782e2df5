// Round trip of every message description at every version: random valid values encode, decode
// back equal, and re-encode to the same bytes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { decodeMessage, encodeMessage } from '../../../src/protocol/codec.ts'
import { Reader } from '../../../src/protocol/Reader.ts'
import * as messages from '../../../src/protocol/messages/index.ts'
import type { Api, Message } from '../../../src/protocol/schema.ts'
import { arbitraryMessage, versionsOf } from '../../helpers/arbitraryMessage.ts'

const RUNS = 25

function roundTrip (m: Message, version: number): void {
  fc.assert(fc.property(arbitraryMessage(m, version), value => {
    const bytes = encodeMessage(m, version, value).toBuffer()
    const r = new Reader(bytes)
    const decoded = decodeMessage(m, version, r)
    assert.equal(r.remaining, 0, 'decoder consumed every byte')
    assert.deepEqual(decoded, value)
    assert.deepEqual(encodeMessage(m, version, decoded).toBuffer(), bytes)
  }), { numRuns: RUNS })
}

for (const api of messages.ALL_APIS as readonly Api[]) {
  test(`${api.name} (key ${api.key}) round-trips at every version`, async t => {
    for (const side of [api.request, api.response] as Message[]) {
      for (const v of versionsOf(side)) await t.test(`${side.name} v${v}`, () => roundTrip(side, v))
    }
  })
}

for (const m of messages.ALL_DATA as readonly Message[]) {
  test(`${m.name} round-trips at every version`, async t => {
    for (const v of versionsOf(m)) await t.test(`v${v}`, () => roundTrip(m, v))
  })
}
