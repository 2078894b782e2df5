// The parts of the reference Kafka helper that need no JVM: the ApiVersions probe it waits on,
// the cluster ids it formats storage with, and port picking.

import assert from 'node:assert/strict'
import { createServer, type Socket } from 'node:net'
import { type TestContext, test } from 'node:test'
import { apiVersionsProbe, freePorts, randomClusterId } from '../../helpers/referenceKafka.ts'

/** A server that hands each request frame to `answer` and writes what it returns. */
async function fakeBroker (t: TestContext, answer: (request: Buffer, socket: Socket) => Buffer | undefined): Promise<number> {
  const server = createServer((socket) => {
    let buffered = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk])
      if (buffered.length < 4 || buffered.length < 4 + buffered.readInt32BE(0)) return
      const reply = answer(buffered, socket)
      if (reply !== undefined) socket.write(reply)
    })
    socket.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const address = server.address()
  assert.ok(address !== null && typeof address === 'object')
  return address.port
}

function apiVersionsResponse (correlationId: number, errorCode: number, apis: Array<[number, number, number]>): Buffer {
  const body = Buffer.alloc(4 + 2 + 4 + apis.length * 6)
  body.writeInt32BE(correlationId, 0)
  body.writeInt16BE(errorCode, 4)
  body.writeInt32BE(apis.length, 6)
  apis.forEach(([key, min, max], i) => {
    body.writeInt16BE(key, 10 + i * 6)
    body.writeInt16BE(min, 12 + i * 6)
    body.writeInt16BE(max, 14 + i * 6)
  })
  const size = Buffer.alloc(4)
  size.writeInt32BE(body.length)
  return Buffer.concat([size, body])
}

test('apiVersionsProbe sends ApiVersions v0 and accepts a well-formed answer, even in pieces', async (t) => {
  let seen: Buffer | undefined
  const port = await fakeBroker(t, (request, socket) => {
    seen = request
    const reply = apiVersionsResponse(request.readInt32BE(8), 0, [[18, 0, 4], [3, 0, 12]])
    socket.write(reply.subarray(0, 3)) // a split length prefix
    return reply.subarray(3)
  })
  await apiVersionsProbe('127.0.0.1', port, 5_000)
  assert.ok(seen)
  assert.equal(seen.readInt32BE(0), seen.length - 4)
  assert.equal(seen.readInt16BE(4), 18) // api key
  assert.equal(seen.readInt16BE(6), 0) // api version
  const clientIdLength = seen.readInt16BE(12)
  assert.equal(seen.subarray(14, 14 + clientIdLength).toString(), 'samsa-probe')
  assert.equal(seen.length, 14 + clientIdLength)
})

test('apiVersionsProbe rejects an error code, a wrong correlation id, an empty list and a closed connection', async (t) => {
  const cases: Array<[string, (request: Buffer) => Buffer | undefined, RegExp]> = [
    ['error code', (r) => apiVersionsResponse(r.readInt32BE(8), 35, []), /error code 35/],
    ['correlation id', (r) => apiVersionsResponse(r.readInt32BE(8) + 1, 0, [[18, 0, 4]]), /correlation id/],
    ['empty list', (r) => apiVersionsResponse(r.readInt32BE(8), 0, []), /lists no APIs/],
    ['closed', () => undefined, /closed/],
  ]
  for (const [name, answer, expected] of cases) {
    const port = await fakeBroker(t, (request, socket) => {
      const reply = answer(request)
      if (reply === undefined) socket.end()
      return reply
    })
    await assert.rejects(apiVersionsProbe('127.0.0.1', port, 5_000), expected, name)
  }
})

test('apiVersionsProbe rejects when nothing listens', async () => {
  const [port] = await freePorts(1)
  assert.ok(port !== undefined)
  await assert.rejects(apiVersionsProbe('127.0.0.1', port, 5_000), { code: 'ECONNREFUSED' })
})

test('randomClusterId: 16 random bytes as Kafka writes a Uuid, never starting with a dash', () => {
  const ids = new Set<string>()
  for (let i = 0; i < 1000; i++) {
    const id = randomClusterId()
    assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/)
    assert.equal(Buffer.from(id, 'base64url').length, 16)
    ids.add(id)
  }
  assert.equal(ids.size, 1000)
})

test('freePorts returns distinct bindable ports', async () => {
  const ports = await freePorts(3)
  assert.equal(new Set(ports).size, 3)
  for (const port of ports) {
    const server = createServer()
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', resolve)
    })
    await new Promise((resolve) => server.close(resolve))
  }
})
