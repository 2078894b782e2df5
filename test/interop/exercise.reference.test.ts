// The classic exercise (test/interop/exercise.ts) against Apache Kafka: proves the example
// scripts and the exercise itself. One Kafka for the file, its data kept across a clean restart
// and a kill -9 (each restart gets new ports; the examples take --bootstrap-server).

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { findPeer, requirePeer } from '../helpers/peers.ts'
import { type ReferenceKafka, startReferenceKafka } from '../helpers/referenceKafka.ts'
import { runExercise } from './exercise.ts'
import { clientInfo, REFERENCE_TESTS, ROWS, rowName } from './matrix.ts'

let kafka: ReferenceKafka | undefined
let logDir: string | undefined
after(async () => {
  await kafka?.stop()
  if (logDir !== undefined) await rm(logDir, { recursive: true, force: true })
})

const rows = ROWS.filter(r => r.scenario === 'exercise')
assert.ok(rows.every(r => REFERENCE_TESTS.exercise === 'test/interop/exercise.reference.test.ts'))

// Sequential: both rows share the one Kafka, which each restarts.
for (const row of rows) {
  test(`${rowName(row)} against kafka`, async (t) => {
    if (await requirePeer(t, 'kafka') === undefined) return
    const python = await requirePeer(t, clientInfo(row.client).peer) as string | undefined
    if (python === undefined) return
    const jars = await findPeer('kafka')
    logDir ??= await mkdtemp(join(tmpdir(), 'samsa-exercise-kafka-'))
    const start = (): Promise<ReferenceKafka> => startReferenceKafka({ kafka: jars, logDir })
    kafka ??= await start()
    await runExercise(python, {
      bootstrap: () => kafka?.bootstrap ?? '',
      async restart (signal) {
        await (signal === 'SIGKILL' ? kafka?.kill() : kafka?.stop())
        kafka = undefined
        kafka = await start()
      },
    }, `sensors-${row.client}`)
  })
}
