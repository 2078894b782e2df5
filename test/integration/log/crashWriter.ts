// Child process for crashRecovery.test.ts: appends batches to a Log as fast as it can with
// flush.messages=1 and prints "ack <lastOffset>" for every acknowledged append, until killed.

import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { Log } from '../../../src/log/Log.ts'
import { logConfig } from '../../../src/log/LogConfig.ts'
import { buildBatch } from '../../unit/log/recordBatches.ts'

const dir = process.argv[2] as string
await mkdir(join(dir, 'crash-0'), { recursive: true })
const log = await Log.open({
  dir: join(dir, 'crash-0'),
  topic: 'crash',
  partition: 0,
  config: logConfig({ 'flush.messages': 1, 'segment.bytes': 64 * 1024, 'index.interval.bytes': 512 }),
})
let seq = 0
async function producer (): Promise<never> {
  for (;;) {
    const r = await log.append(buildBatch({ values: [300, 'n' + seq++, 100] }))
    if (r.errorCode !== 0) throw new Error(`append failed: ${r.errorCode}`)
    process.stdout.write(`ack ${r.lastOffset}\n`)
  }
}
await Promise.all([producer(), producer(), producer(), producer()])
