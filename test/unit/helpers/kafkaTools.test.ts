// Kafka's tools as kafkaTools.ts runs them: every script name maps to a class the jars hold, and
// a tool that hangs is killed at its timeout.

import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { KAFKA_TOOL_MAIN_CLASSES, runKafkaTool } from '../../helpers/kafkaTools.ts'
import { requirePeer } from '../../helpers/peers.ts'
import { freePorts } from '../../helpers/referenceKafka.ts'

/** The entry names of a zip file, from its central directory (jars here are small and not zip64). */
function zipEntryNames (zip: Buffer): string[] {
  const EOCD = 0x06054b50
  const CENTRAL = 0x02014b50
  let eocd = -1
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === EOCD) {
      eocd = i
      break
    }
  }
  assert.ok(eocd >= 0, 'no end of central directory record')
  const count = zip.readUInt16LE(eocd + 10)
  let at = zip.readUInt32LE(eocd + 16)
  const names: string[] = []
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(at), CENTRAL, `central directory entry ${i}`)
    const nameLength = zip.readUInt16LE(at + 28)
    const extraLength = zip.readUInt16LE(at + 30)
    const commentLength = zip.readUInt16LE(at + 32)
    names.push(zip.toString('utf8', at + 46, at + 46 + nameLength))
    at += 46 + nameLength + extraLength + commentLength
  }
  return names
}

test('every tool names a main class that the Kafka jars hold', async (t) => {
  const kafka = await requirePeer(t, 'kafka')
  if (!kafka) return
  const classes = new Set<string>()
  for (const jar of await readdir(kafka.libs)) {
    if (!/^kafka.*\.jar$/.test(jar)) continue
    for (const name of zipEntryNames(await readFile(join(kafka.libs, jar)))) {
      if (name.endsWith('.class')) classes.add(name.slice(0, -'.class'.length).replaceAll('/', '.'))
    }
  }
  assert.ok(classes.has('kafka.Kafka'), 'the broker main class, as a check of the zip reading itself')
  const missing = Object.entries(KAFKA_TOOL_MAIN_CLASSES).filter(([, mainClass]) => !classes.has(mainClass))
  assert.deepEqual(missing, [])
})

test('runKafkaTool kills a tool that outlives its timeout and says so', async (t) => {
  const kafka = await requirePeer(t, 'kafka')
  if (!kafka) return
  const [port] = await freePorts(1)
  // Nothing listens there: the consumer retries forever.
  await assert.rejects(
    runKafkaTool('kafka-console-consumer', ['--bootstrap-server', `127.0.0.1:${port}`, '--topic', 'nowhere'], { kafka, timeoutMs: 3_000 }),
    /kafka-console-consumer .* still running after 3000 ms; killed/,
  )
})

test('runKafkaTool returns the exit code and output, zero or not', async (t) => {
  const kafka = await requirePeer(t, 'kafka')
  if (!kafka) return
  const result = await runKafkaTool('kafka-topics', ['--version'], { kafka })
  assert.equal(result.code, 0)
  assert.match(result.stdout, new RegExp(`^${kafka.version.replaceAll('.', '\\.')}\\b`))
  const bad = await runKafkaTool('kafka-topics', ['--no-such-option'], { kafka, input: 'ignored\n' })
  assert.notEqual(bad.code, 0)
  assert.match(bad.stderr + bad.stdout, /no-such-option/)
})
