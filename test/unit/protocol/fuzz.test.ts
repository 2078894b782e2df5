// Seeded, bounded fuzzing of the decoders: random bytes and mutated valid frames (bit flips,
// truncation, corrupted length fields, inserted and duplicated bytes) go into decodeRequest,
// decodeResponse and decodeMessage. Each input must either decode or throw DecodeError; anything
// else (RangeError from a Buffer read, TypeError, an allocation failure) is a codec bug. What
// decodes must re-encode without error and decode again to the same value. The heap is sampled
// throughout: a length of 2^31 must be rejected before anything is allocated for it.
//
// The seed is printed; FUZZ_SEED=<n> replays a run, FUZZ_CASES=<n> changes its size.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { decodeMessage, encodeMessage } from '../../../src/protocol/codec.ts'
import { ALL_APIS, ALL_DATA, ApiVersions, Metadata, Produce } from '../../../src/protocol/messages/index.ts'
import { DecodeError, Reader } from '../../../src/protocol/Reader.ts'
import { apiByKey, decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../../../src/protocol/RequestHeader.ts'
import type { Api, Message } from '../../../src/protocol/schema.ts'
import { arbitraryMessage, versionsOf } from '../../helpers/arbitraryMessage.ts'

const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) >>> 0 : (Math.random() * 2 ** 32) >>> 0
const CASES = process.env.FUZZ_CASES !== undefined ? Number(process.env.FUZZ_CASES) : 20_000
/** Heap growth allowed over the whole run; a single 2^31-element allocation would blow it. */
const HEAP_BOUND_BYTES = 200 * 1024 * 1024
const GOLDEN_DIR = fileURLToPath(new URL('../../fixtures/golden/', import.meta.url))

// ---- a small seeded PRNG (mulberry32), so a seed replays the same inputs ----

function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const rand = prng(SEED)
const int = (n: number): number => Math.floor(rand() * n)
const pick = <T>(list: readonly T[]): T => list[int(list.length)] as T

function randomBytes (n: number): Buffer {
  const b = Buffer.allocUnsafe(n)
  for (let i = 0; i < n; i++) b[i] = int(256)
  return b
}

// ---- seeds: valid frames ----

type Target =
  | { kind: 'request', api: Api, frame: Buffer }
  | { kind: 'response', api: Api, version: number, frame: Buffer }
  | { kind: 'data', message: Message, version: number, bytes: Buffer }

const apis = ALL_APIS as readonly Api[]

function sampleValue (m: Message, version: number): Record<string, unknown> {
  const [value] = fc.sample(arbitraryMessage(m, version), { seed: int(2 ** 31), numRuns: 1 })
  return value as Record<string, unknown>
}

/** One valid encoding of every request and response at every version, and of every data message. */
function validTargets (): Target[] {
  const out: Target[] = []
  for (const api of apis) {
    for (const v of versionsOf(api.request)) {
      const frame = encodeRequest(api, v, int(2 ** 31), pick(['fuzz', '', null]), sampleValue(api.request, v))
      out.push({ kind: 'request', api, frame: frame.subarray(4) })
      const response = Buffer.concat(encodeResponse(api, v, int(2 ** 31), sampleValue(api.response, v)))
      out.push({ kind: 'response', api, version: v, frame: response.subarray(4) })
    }
  }
  for (const m of ALL_DATA as readonly Message[]) {
    for (const v of versionsOf(m)) out.push({ kind: 'data', message: m, version: v, bytes: encodeMessage(m, v, sampleValue(m, v)).toBuffer() })
  }
  return out
}

/** Frames real clients and Apache Kafka sent (test/fixtures/golden), when they are present. */
async function goldenTargets (): Promise<Target[]> {
  const out: Target[] = []
  let clients: string[]
  try {
    clients = await readdir(GOLDEN_DIR)
  } catch {
    return out
  }
  for (const client of clients) {
    let files: string[]
    try {
      files = await readdir(join(GOLDEN_DIR, client))
    } catch {
      continue
    }
    for (const file of files) {
      const m = /^(\w+)-v(\d+)-(request|response)-\d+\.bin$/.exec(file)
      if (m === null) continue
      const api = apis.find(a => a.name === m[1])
      if (api === undefined) continue
      const frame = await readFile(join(GOLDEN_DIR, client, file))
      if (m[3] === 'request') out.push({ kind: 'request', api, frame })
      else out.push({ kind: 'response', api, version: Number(m[2]), frame })
    }
  }
  return out
}

// ---- mutations ----

const WIDE_LENGTHS = [0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 0x40000000, 0x00ffffff, 0x10000]
const SHORT_LENGTHS = [0x7fff, 0x8000, 0xffff, 0xfffe, 0x4000]
const UVARINTS = [
  [0xff, 0xff, 0xff, 0xff, 0x0f], [0xff, 0xff, 0xff, 0xff, 0x7f], [0x80, 0x80, 0x80, 0x80, 0x08],
  [0xff, 0xff, 0xff, 0xff, 0xff, 0x01], [0xff, 0xff, 0xff, 0x07], [0x80, 0x80, 0x80, 0x80, 0x80],
]

function mutate (input: Buffer): Buffer {
  let b = Buffer.from(input)
  const rounds = 1 + int(3)
  for (let i = 0; i < rounds; i++) {
    const at = b.length === 0 ? 0 : int(b.length)
    switch (int(7)) {
      case 0: { // bit flips
        if (b.length === 0) break
        const flips = 1 + int(8)
        for (let j = 0; j < flips; j++) { const k = int(b.length); b[k] = (b[k] as number) ^ (1 << int(8)) }
        break
      }
      case 1: // truncation
        b = b.subarray(0, int(b.length + 1))
        break
      case 2: { // an int32 length or count set to a huge or negative value
        if (b.length < 4) break
        b.writeUInt32BE(pick(WIDE_LENGTHS), int(b.length - 3))
        break
      }
      case 3: { // an int16 length set to a huge or negative value
        if (b.length < 2) break
        b.writeUInt16BE(pick(SHORT_LENGTHS), int(b.length - 1))
        break
      }
      case 4: { // a compact length or tag count set to an extreme varint
        const v = Buffer.from(pick(UVARINTS))
        b = Buffer.concat([b.subarray(0, at), v, b.subarray(Math.min(b.length, at + v.length))])
        break
      }
      case 5: { // bytes inserted, or a slice duplicated
        const insert = rand() < 0.5 ? randomBytes(1 + int(8)) : b.subarray(at, at + 1 + int(32))
        b = Buffer.concat([b.subarray(0, at), insert, b.subarray(at)])
        break
      }
      case 6: // a byte set to a boundary value
        if (b.length > 0) b[at] = pick([0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff])
        break
    }
  }
  return b
}

// ---- the oracle ----

const outcomes = { decoded: 0, rejected: 0 }

function check (label: string, input: Buffer, decode: () => () => unknown): void {
  let reencode: () => unknown
  try {
    reencode = decode()
  } catch (err) {
    if (err instanceof DecodeError) { outcomes.rejected++; return }
    assert.fail(`${label}: ${(err as Error).name} instead of DecodeError on input ${input.toString('hex').slice(0, 400)}\n${(err as Error).stack}`)
  }
  outcomes.decoded++
  // Whatever decodes is a valid value: it re-encodes, and decodes back to itself.
  try {
    reencode()
  } catch (err) {
    assert.fail(`${label}: decoded value does not round-trip on input ${input.toString('hex').slice(0, 400)}\n${(err as Error).stack}`)
  }
}

function requestCheck (api: Api, frame: Buffer): () => unknown {
  // Like the broker: the api comes from the frame's own key when Kafka defines it.
  const key = frame.length >= 2 ? frame.readInt16BE(0) : -1
  const target = apiByKey(key) ?? api
  const first = decodeRequest(target, frame)
  return () => {
    const { header, body } = first
    const again = decodeRequest(target, encodeRequest(target, header.requestApiVersion, header.correlationId, header.clientId, body).subarray(4))
    // decodeRequest trusts the api it is given; the key it re-encodes is that api's.
    assert.deepEqual(again, { header: { ...header, requestApiKey: target.key }, body })
  }
}

function responseCheck (api: Api, version: number, frame: Buffer): () => unknown {
  const first = decodeResponse(api, version, frame)
  return () => {
    const again = Buffer.concat(encodeResponse(api, version, first.correlationId, first.body))
    assert.deepEqual(decodeResponse(api, version, again.subarray(4)), first)
  }
}

function dataCheck (m: Message, version: number, bytes: Buffer): () => unknown {
  const r = new Reader(bytes)
  const first = decodeMessage(m, version, r)
  return () => {
    const again = encodeMessage(m, version, first).toBuffer()
    assert.deepEqual(decodeMessage(m, version, new Reader(again)), first)
  }
}

function runTarget (t: Target, input: Buffer): void {
  switch (t.kind) {
    case 'request': check(`${t.api.name} request`, input, () => requestCheck(t.api, input)); return
    case 'response': check(`${t.api.name} v${t.version} response`, input, () => responseCheck(t.api, t.version, input)); return
    case 'data': check(`${t.message.name} v${t.version}`, input, () => dataCheck(t.message, t.version, input))
  }
}

/** Random bytes behind a valid api key and version, so the body decoders see them too. */
function randomRequest (): Buffer {
  const api = pick(apis)
  const head = Buffer.alloc(8)
  head.writeInt16BE(api.key, 0)
  head.writeInt16BE(api.validVersions.min + int(api.validVersions.max - api.validVersions.min + 2), 2)
  head.writeInt32BE(int(2 ** 31), 4)
  return Buffer.concat([head, randomBytes(int(64))])
}

test(`decoders throw only DecodeError and stay within the heap bound (seed ${SEED}, replay with FUZZ_SEED=${SEED})`, async (t) => {
  t.diagnostic(`seed ${SEED} (FUZZ_SEED=${SEED} replays this run), ${CASES} cases`)
  const golden = await goldenTargets()
  const valid = validTargets()
  // Every valid seed decodes as it is.
  for (const target of valid) {
    const before = outcomes.rejected
    runTarget(target, target.kind === 'data' ? target.bytes : target.frame)
    assert.equal(outcomes.rejected, before, `a valid ${target.kind} of ${'api' in target ? target.api.name : target.message.name} was rejected`)
  }
  const seeds: Target[] = [...valid, ...golden]
  const heapBase = process.memoryUsage().heapUsed
  let heapPeak = heapBase
  for (let i = 0; i < CASES; i++) {
    const roll = rand()
    if (roll < 0.1) {
      const bytes = randomBytes(int(128))
      check('random request', bytes, () => requestCheck(pick(apis), bytes))
    } else if (roll < 0.2) {
      const frame = randomRequest()
      check('random body', frame, () => requestCheck(pick(apis), frame))
    } else if (roll < 0.25) {
      const api = pick(apis)
      const version = api.validVersions.min + int(api.validVersions.max - api.validVersions.min + 1)
      const bytes = randomBytes(int(128))
      check(`random ${api.name} v${version} response`, bytes, () => responseCheck(api, version, bytes))
    } else {
      const target = pick(seeds)
      runTarget(target, mutate(target.kind === 'data' ? target.bytes : target.frame))
    }
    if ((i & 255) === 0) {
      const used = process.memoryUsage().heapUsed
      if (used > heapPeak) heapPeak = used
      assert.ok(used - heapBase < HEAP_BOUND_BYTES, `heap grew by ${used - heapBase} bytes after ${i} cases (seed ${SEED})`)
    }
  }
  const used = process.memoryUsage().heapUsed
  assert.ok(used - heapBase < HEAP_BOUND_BYTES, `heap grew by ${used - heapBase} bytes (seed ${SEED})`)
  t.diagnostic(`${valid.length} valid seeds, ${golden.length} golden frames; ${outcomes.decoded} decoded, ${outcomes.rejected} rejected; heap peak +${Math.round((heapPeak - heapBase) / 1024 / 1024)} MB`)
  // Mutations must exercise both paths, or the oracle checks nothing.
  assert.ok(outcomes.decoded > 0 && outcomes.rejected > 0)
})

const TOO_BIG = { name: 'DecodeError', message: /exceed/ }

test('a length or count of 2^31-1 is rejected before anything is allocated for it', () => {
  // Metadata v4 request: topics is an int32-counted array.
  const metadata = Buffer.from(encodeRequest(Metadata, 4, 1, 'c', { topics: [] }).subarray(4))
  metadata.writeInt32BE(0x7fffffff, metadata.length - 5) // the topics count, before allowAutoTopicCreation
  assert.throws(() => decodeRequest(Metadata, metadata), TOO_BIG)
  // Metadata v12 request: a compact topics array whose uvarint says 2^32 - 2 elements.
  const compact = Buffer.from(encodeRequest(Metadata, 12, 1, 'c', { topics: [] }).subarray(4))
  const at = compact.length - 4 // [topics=01] [allowAutoTopicCreation] [includeTopicAuthorizedOperations] [tags]
  const huge = Buffer.concat([compact.subarray(0, at), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), compact.subarray(at + 1)])
  assert.throws(() => decodeRequest(Metadata, huge), TOO_BIG)
  // Produce v3 request: records bytes of length 2^31 - 1.
  const produce = Buffer.from(encodeRequest(Produce, 3, 1, 'c', {
    acks: -1, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [{ index: 0, records: Buffer.alloc(0) }] }],
  }).subarray(4))
  produce.writeInt32BE(0x7fffffff, produce.length - 4)
  assert.throws(() => decodeRequest(Produce, produce), TOO_BIG)
  // ApiVersions v3 request: a tag section claiming 2^31 fields.
  const av = Buffer.from(encodeRequest(ApiVersions, 3, 1, 'c', {}).subarray(4))
  const tags = Buffer.concat([av.subarray(0, av.length - 1), Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08])])
  assert.throws(() => decodeRequest(ApiVersions, tags), TOO_BIG)
})
