// The classic exercise (test/interop/exercise.ts) with examples/producer.py and consumer.py,
// against `samsa broker` child processes: each matrix row (kafka-python 2.0.2, the newest
// kafka-python) gets its own broker on a free port, stopped cleanly and killed with -9 in turn,
// restarted each time on the same data dir and port.

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { requirePeer } from '../helpers/peers.ts'
import { runExercise } from './exercise.ts'
import { clientInfo, matrixRows, rowName } from './matrix.ts'
import { expectOutcome } from './roundtrip.ts'
import { type SamsaProcess, startSamsaProcess } from './samsaProcess.ts'

describe('exercise against samsa', { concurrency: true }, () => {
  for (const row of matrixRows(import.meta.url)) {
    test(`${rowName(row)} against samsa`, async (t) => {
      const python = await requirePeer(t, clientInfo(row.client).peer) as string | undefined
      if (python === undefined) return
      const dataDir = await mkdtemp(join(tmpdir(), 'samsa-exercise-'))
      let broker: SamsaProcess | undefined
      t.after(async () => {
        await broker?.stop('SIGKILL')
        await rm(dataDir, { recursive: true, force: true })
      })
      let failure: Error | undefined
      try {
        broker = await startSamsaProcess({ dataDir })
        const port = broker.port
        await runExercise(python, {
          bootstrap: () => broker?.bootstrap ?? '',
          async restart (signal) {
            await broker?.stop(signal)
            broker = undefined
            broker = await startSamsaProcess({ dataDir, port })
          },
        }, `sensors-${row.client}`)
      } catch (error) {
        failure = error as Error
        if (broker !== undefined) failure.message += `\n--- samsa stderr\n${broker.stderr().slice(-4000)}`
      }
      expectOutcome(t, row, 'samsa', failure)
    })
  }
})
