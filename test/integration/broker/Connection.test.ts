// Connection behaviour over real TCP: ApiVersions negotiation, ordering, and bad input closing
// only the offending connection.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { ApiVersions, Heartbeat } from '../../../src/protocol/messages/index.ts'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import { encodeRequest } from '../../../src/protocol/RequestHeader.ts'
import { KafkaTestClient } from '../../helpers/KafkaTestClient.ts'
import { startTestBroker } from '../../helpers/broker.ts'

const CLOSE_DEADLINE_MS = 10_000

/** Sends raw bytes on a fresh socket; resolves once the broker closes it, fails if it never does. */
function closedBy (port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(bytes))
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`broker did not close the connection after ${bytes.toString('hex').slice(0, 40)}`)) }, CLOSE_DEADLINE_MS)
    s.on('data', () => {})
    s.on('error', () => {})
    s.on('close', () => { clearTimeout(timer); resolve() })
  })
}

/** A request frame for an API key Kafka does not define (unserved by construction). */
function unknownApiFrame (): Buffer {
  const frame = encodeRequest(ApiVersions, 0, 1, 'x', {})
  frame.writeInt16BE(9999, 4)
  return frame
}

test('ApiVersions answers every version 0-4 and lists itself', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  for (let v = 0; v <= 4; v++) {
    const res = await client.request(ApiVersions, v, { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1.0' })
    assert.equal(res.errorCode, 0)
    const self = res.apiKeys.find(k => k.apiKey === 18)
    assert.deepEqual(self, { apiKey: 18, minVersion: 0, maxVersion: 4 })
  }
})

test('ApiVersions v3 with an invalid software name gets INVALID_REQUEST', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const res = await client.request(ApiVersions, 3, { clientSoftwareName: 'bad name!', clientSoftwareVersion: '1' })
  assert.equal(res.errorCode, ErrorCode.INVALID_REQUEST)
})

test('an ApiVersions version we do not serve gets UNSUPPORTED_VERSION in a v0 body, and the connection stays open', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const frame = encodeRequest(ApiVersions, 4, 99, 'x', {})
  frame.writeInt16BE(77, 6) // api version 77
  const res = await client.requestRaw(frame)
  // header v0 (correlation id) then v0 body: error code, api_keys array
  assert.equal(res.readInt32BE(0), 99)
  assert.equal(res.readInt16BE(4), ErrorCode.UNSUPPORTED_VERSION)
  assert.equal(res.readInt32BE(6), 1)
  assert.deepEqual([res.readInt16BE(10), res.readInt16BE(12), res.readInt16BE(14)], [18, 0, 4])
  const ok = await client.request(ApiVersions, 0, {})
  assert.equal(ok.errorCode, 0)
})

test('pipelined requests are answered in order', async t => {
  const { broker } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  const all = await Promise.all(Array.from({ length: 50 }, (_, i) => client.request(ApiVersions, i % 5, { clientSoftwareName: 'a', clientSoftwareVersion: '1' })))
  assert.equal(all.length, 50)
  for (const r of all) assert.equal(r.errorCode, 0)
})

test('an unknown API or version closes that connection only; a bad frame size too; others keep working', async t => {
  const { broker } = await startTestBroker(t, { 'socket.request.max.bytes': 1000 })
  await using good = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await closedBy(broker.port, unknownApiFrame())
  await closedBy(broker.port, encodeRequest(Heartbeat, 0, 1, 'x', { groupId: 'g', memberId: 'm' }).fill(0x7f, 6, 8)) // a version no handler serves
  const huge = Buffer.alloc(8)
  huge.writeInt32BE(2000, 0) // larger than socket.request.max.bytes: closed before buffering
  await closedBy(broker.port, huge)
  await closedBy(broker.port, Buffer.from('0000000a0012000300000001ffff', 'hex')) // ApiVersions v3, header cut short
  await closedBy(broker.port, Buffer.from('ffffffff', 'hex')) // negative size
  const res = await good.request(ApiVersions, 3, { clientSoftwareName: 'a', clientSoftwareVersion: '1' })
  assert.equal(res.errorCode, 0)
})

test('max.connections refuses connections beyond the limit', async t => {
  const { broker } = await startTestBroker(t, { 'max.connections': 2 })
  await using a = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await using b = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await a.request(ApiVersions, 0, {})
  await b.request(ApiVersions, 0, {})
  const refused = await new Promise<boolean>(resolve => {
    const s = connect(broker.port, '127.0.0.1')
    s.on('close', () => resolve(true))
    s.on('error', () => {})
  })
  assert.equal(refused, true)
  assert.equal(broker.connectionCount, 2)
})
