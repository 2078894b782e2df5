// What every interop client driver does: produce records to topics (one codec per topic) and
// consume topics back from the beginning. A driver runs all topics of a call in one client
// process where it can (one interpreter or JVM start), and reports per topic, so one failing
// codec does not hide the others.

import type { Codec, ConsumedRecord, TestRecord } from './records.ts'

export interface ProduceJob { topic: string, codec: Codec, records: readonly TestRecord[] }
export interface ConsumeJob { topic: string, count: number }

export interface ConsumeOptions {
  /**
   * Consume in this consumer group (from the earliest offset when it has none, else from its
   * committed offsets) and commit the consumed positions before closing. Without it the driver
   * reads every partition from the beginning, in a group only where the client needs one.
   */
  group?: string
}

/** Per topic: undefined when every record was acknowledged, else what went wrong. */
export type ProduceOutcome = Map<string, string | undefined>

export interface ConsumeOutcome {
  records: ConsumedRecord[]
  /** per topic that did not yield its count: why */
  errors: Map<string, string>
}

export interface ClientDriver {
  produce: (bootstrap: string, jobs: readonly ProduceJob[], timeoutMs: number) => Promise<ProduceOutcome>
  consume: (bootstrap: string, jobs: readonly ConsumeJob[], timeoutMs: number, options?: ConsumeOptions) => Promise<ConsumeOutcome>
}

/** Extra time a driver process gets beyond its own deadline (interpreter or JVM start, close). */
export const PROCESS_GRACE_MS = 60_000
