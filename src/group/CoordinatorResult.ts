// What a coordinator operation returns (Kafka's CoordinatorResult): a response, the records to
// write to the group's __consumer_offsets partition, and what to do once they are written.
//
// The response is sent only after the records are in the log. `replay` says whether the runtime
// applies the records to the in-memory state as it writes them (offsets, tombstones), or whether
// the operation has already changed the state itself and the records only persist it (classic
// group metadata, which is replayed only when the partition is loaded).

import type { CoordinatorRecord } from './records.ts'

export interface CoordinatorResult<T> {
  readonly records: readonly CoordinatorRecord[]
  readonly response: T
  readonly replay: boolean
  /** Called once: with null after the records are written, or with the error code they failed with. */
  readonly onAppended: ((errorCode: number | null) => void) | null
}

export function result<T> (response: T, records: readonly CoordinatorRecord[] = [], opts: { replay?: boolean, onAppended?: (errorCode: number | null) => void } = {}): CoordinatorResult<T> {
  return { response, records, replay: opts.replay ?? true, onAppended: opts.onAppended ?? null }
}

export const EMPTY_RESULT: CoordinatorResult<void> = Object.freeze(result<void>(undefined))
