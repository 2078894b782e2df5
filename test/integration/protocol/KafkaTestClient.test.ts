// KafkaTestClient against a scripted TCP peer on port 0: pipelined requests answered in order,
// a wrong correlation id, an oversized frame and the peer closing each fail the pending requests.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server, type Socket } from 'node:net'
import { ApiVersions, Heartbeat } from '../../../src/protocol/messages/index.ts'
import { decodeRequest, encodeResponse } from '../../../src/protocol/RequestHeader.ts'
import { KafkaTestClient } from '../../helpers/KafkaTestClient.ts'

type OnFrame = (socket: Socket, frame: Buffer) => void

/** A peer that frames requests and hands each to `onFrame`. */
async function peer (t: { after: (fn: () => Promise<void>) => void }, onFrame: OnFrame): Promise<number> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    let buf = Buffer.alloc(0)
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk])
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const size = buf.readInt32BE(0)
        onFrame(socket, buf.subarray(4, 4 + size))
        buf = buf.subarray(4 + size)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  const address = server.address()
  assert.ok(address !== null && typeof address === 'object')
  return address.port
}

test('pipelined requests resolve in order with their own decoded responses', async (t) => {
  const frames: Buffer[] = []
  const port = await peer(t, (socket, frame) => {
    frames.push(frame)
    if (frames.length < 3) return
    // Answer the three together, in request order, as one write.
    const responses = frames.map((f) => {
      const { header } = decodeRequest(Heartbeat, f)
      return Buffer.concat(encodeResponse(Heartbeat, 4, header.correlationId, { errorCode: header.correlationId }))
    })
    socket.write(Buffer.concat(responses))
  })
  await using client = await KafkaTestClient.connect('127.0.0.1', port, { clientId: 'pipeline' })
  const body = { groupId: 'g', generationId: 1, memberId: 'm' }
  const results = await Promise.all([1, 2, 3].map(() => client.request(Heartbeat, 4, body)))
  assert.deepEqual(results.map(r => r.errorCode), [1, 2, 3])
  assert.equal(decodeRequest(Heartbeat, frames[0] as Buffer).header.clientId, 'pipeline')
  assert.equal(client.inFlight, 0)
})

test('requestRaw returns the response frame without its size prefix', async (t) => {
  const port = await peer(t, (socket, frame) => {
    const { header } = decodeRequest(ApiVersions, frame)
    socket.write(Buffer.concat(encodeResponse(ApiVersions, 0, header.correlationId, { errorCode: 35 })))
  })
  await using client = await KafkaTestClient.connect('127.0.0.1', port)
  // ApiVersions v0, correlation id 9, client id 'a'.
  const frame = Buffer.from('0000000b' + '0012' + '0000' + '00000009' + '0001' + '61', 'hex')
  const response = await client.requestRaw(frame)
  assert.equal(response.readInt32BE(0), 9, 'correlation id')
  assert.equal(response.readInt16BE(4), 35, 'error code')
})

test('a response with an unexpected correlation id fails the request and closes the connection', async (t) => {
  const port = await peer(t, (socket) => {
    socket.write(Buffer.concat(encodeResponse(Heartbeat, 4, 12345, { errorCode: 0 })))
  })
  const client = await KafkaTestClient.connect('127.0.0.1', port)
  await assert.rejects(client.request(Heartbeat, 4, { groupId: 'g', generationId: 1, memberId: 'm' }), /correlation id 12345, expected 1/)
  assert.equal(client.closed, true)
  await assert.rejects(client.request(Heartbeat, 4, { groupId: 'g', generationId: 1, memberId: 'm' }), /correlation id/)
  await client.close()
})

test('a response frame over maxFrameBytes is refused before it is buffered', async (t) => {
  const port = await peer(t, (socket) => {
    const size = Buffer.alloc(4)
    size.writeInt32BE(1 << 30, 0)
    socket.write(size)
  })
  await using client = await KafkaTestClient.connect('127.0.0.1', port, { maxFrameBytes: 1024 })
  await assert.rejects(client.request(Heartbeat, 4, { groupId: 'g', generationId: 1, memberId: 'm' }), /1073741824 bytes \(limit 1024\)/)
})

test('the peer closing the connection rejects every pending request', async (t) => {
  const port = await peer(t, (socket) => { socket.destroy() })
  await using client = await KafkaTestClient.connect('127.0.0.1', port)
  const body = { groupId: 'g', generationId: 1, memberId: 'm' }
  const results = await Promise.allSettled([client.request(Heartbeat, 4, body), client.request(Heartbeat, 4, body)])
  for (const r of results) {
    assert.equal(r.status, 'rejected')
    assert.match(String(r.reason), /closed by the peer|connection error/)
  }
})

test('maxInFlight bounds pipelining', async (t) => {
  const port = await peer(t, () => {})
  await using client = await KafkaTestClient.connect('127.0.0.1', port, { maxInFlight: 2 })
  const body = { groupId: 'g', generationId: 1, memberId: 'm' }
  const first = [client.request(Heartbeat, 4, body), client.request(Heartbeat, 4, body)]
  for (const p of first) p.catch(() => {})
  await assert.rejects(client.request(Heartbeat, 4, body), /more than 2 requests in flight/)
  await client.close()
  for (const p of first) await assert.rejects(p, /closed by the client/)
})
