// The one encoder/decoder: walks a description (schema.ts) for a given version.
//
// For each (struct, version, flexible) it builds a plan once (which fields are inline, which are
// tagged, which are absent and take their default) and caches it; decoding and encoding then walk
// the plan. Unknown tagged fields are kept on the decoded object (non-enumerable) and written back
// in tag order, so encode(decode(bytes)) reproduces the bytes.

import { DecodeError, Reader, ZERO_UUID } from './Reader.ts'
import { Writer } from './Writer.ts'
import { type Field, inRange, type Message, type Msg, type MsgInput, type Fields, type Struct } from './schema.ts'

export class EncodeError extends Error {
  override readonly name = 'EncodeError'
}

/** Unknown tagged fields read from the wire: [tag, raw value bytes]. */
export const UNKNOWN_TAGS: unique symbol = Symbol('unknownTags')
type UnknownTags = Array<readonly [number, Buffer]>

interface Slot {
  readonly name: string
  readonly field: Field
  /** Null may be encoded at this version. */
  readonly nullable: boolean
  /** Compact (flexible) encoding for this field's variable-length parts. */
  readonly compact: boolean
}

interface Plan {
  readonly inline: readonly Slot[]
  /** Tagged fields present at this version, sorted by tag. */
  readonly tagged: readonly Slot[]
  readonly absent: readonly Slot[]
  readonly flexible: boolean
}

const plans = new WeakMap<Struct, Map<number, Plan>>()

function planFor (s: Struct, version: number, flexible: boolean): Plan {
  let byVersion = plans.get(s)
  if (byVersion === undefined) { byVersion = new Map(); plans.set(s, byVersion) }
  const key = flexible ? version | 0x10000 : version
  let plan = byVersion.get(key)
  if (plan !== undefined) return plan
  const inline: Slot[] = []
  const tagged: Slot[] = []
  const absent: Slot[] = []
  for (const [name, field] of s.fields) {
    const slot: Slot = { name, field, nullable: inRange(field.nullable, version), compact: flexible && !field.neverCompact }
    if (!inRange(field.versions, version)) absent.push(slot)
    else if (flexible && inRange(field.tagged, version)) tagged.push(slot)
    else if (inRange(field.tagged, version)) absent.push(slot) // tagged-only field in a non-flexible version
    else inline.push(slot)
  }
  tagged.sort((a, b) => a.field.tag - b.field.tag)
  plan = { inline, tagged, absent, flexible }
  byVersion.set(key, plan)
  return plan
}

// ---- defaults ----

/** The value a field takes when it is absent at a version or its tag was not sent. */
export function defaultValue (f: Field): unknown {
  const d = f.default
  switch (f.kind) {
    case 'bool': return d === undefined ? false : d
    case 'int8': case 'int16': case 'uint16': case 'int32': case 'uint32': case 'float64':
      return d === undefined ? 0 : d
    case 'int64': return d === undefined ? 0n : d
    case 'string': return d === undefined ? '' : d
    case 'uuid': return d === undefined ? ZERO_UUID : d
    case 'bytes': return d === null ? null : Buffer.alloc(0)
    case 'records': return null
    case 'array': return d === null ? null : []
    case 'struct': return d === null ? null : defaultStruct(f.struct as Struct)
  }
}

function defaultStruct (s: Struct): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, f] of s.fields) out[name] = defaultValue(f)
  return out
}

function isDefault (f: Field, v: unknown): boolean {
  if (v === undefined) return true
  const d = defaultValue(f)
  if (v === null || d === null) return v === d
  switch (f.kind) {
    case 'bytes': return (v as Uint8Array).length === 0
    case 'records': return false
    case 'array': return (v as unknown[]).length === 0
    case 'struct': {
      const o = v as Record<string, unknown>
      for (const [name, sf] of (f.struct as Struct).fields) if (!isDefault(sf, o[name])) return false
      return true
    }
    default: return v === d
  }
}

// ---- decoding ----

export function decodeMessage<F extends Fields> (m: Message<F>, version: number, r: Reader): Msg<F> {
  if (!inRange(m.validVersions, version)) throw new DecodeError(`${m.name} has no version ${version}`)
  return decodeStruct(m.struct, version, inRange(m.flexible, version), r) as Msg<F>
}

function decodeStruct (s: Struct, version: number, flexible: boolean, r: Reader): Record<string, unknown> {
  const plan = planFor(s, version, flexible)
  const out: Record<string, unknown> = {}
  for (const slot of plan.inline) out[slot.name] = decodeValue(slot, version, flexible, r)
  for (const slot of plan.absent) out[slot.name] = defaultValue(slot.field)
  if (flexible) {
    for (const slot of plan.tagged) out[slot.name] = defaultValue(slot.field)
    decodeTags(plan, version, r, out)
  }
  return out
}

function decodeTags (plan: Plan, version: number, r: Reader, out: Record<string, unknown>): void {
  const count = r.uvarint()
  if (count > r.remaining) throw new DecodeError(`${count} tagged fields exceed the bytes left`)
  let last = -1
  let unknown: UnknownTags | undefined
  for (let i = 0; i < count; i++) {
    const tag = r.uvarint()
    if (tag <= last) throw new DecodeError(`tag ${tag} out of order`)
    last = tag
    const size = r.uvarint()
    if (size > r.remaining) throw new DecodeError(`tagged field size ${size} exceeds the bytes left`)
    const slot = plan.tagged.find(t => t.field.tag === tag)
    if (slot === undefined) {
      (unknown ??= []).push([tag, r.slice(size)])
      continue
    }
    const end = r.offset + size
    const sub = new Reader(r.buf, r.offset, end)
    out[slot.name] = decodeValue(slot, version, true, sub)
    if (sub.offset !== end) throw new DecodeError(`tagged field ${slot.name} left ${end - sub.offset} bytes unread`)
    r.offset = end
  }
  if (unknown !== undefined) Object.defineProperty(out, UNKNOWN_TAGS, { value: unknown, enumerable: false })
}

function decodeValue (slot: Slot, version: number, flexible: boolean, r: Reader): unknown {
  const f = slot.field
  switch (f.kind) {
    case 'bool': return r.bool()
    case 'int8': return r.int8()
    case 'int16': return r.int16()
    case 'uint16': return r.uint16()
    case 'int32': return r.int32()
    case 'uint32': return r.uint32()
    case 'int64': return r.int64()
    case 'float64': return r.float64()
    case 'uuid': return r.uuid()
    case 'string': {
      const n = r.length(slot.compact, false)
      if (n === -1) return nullOrFail(slot)
      return r.utf8(n)
    }
    case 'bytes': case 'records': {
      const n = r.length(slot.compact, true)
      if (n === -1) return nullOrFail(slot)
      return r.slice(n)
    }
    case 'array': {
      const n = r.length(slot.compact, true)
      if (n === -1) return nullOrFail(slot)
      const elem = f.elem as Field
      const elemSlot: Slot = { name: '', field: elem, nullable: false, compact: slot.compact }
      const out = new Array<unknown>(n)
      for (let i = 0; i < n; i++) out[i] = decodeValue(elemSlot, version, flexible, r)
      return out
    }
    case 'struct': {
      if (slot.nullable) {
        const marker = r.int8()
        if (marker === -1) return null
        if (marker !== 1) throw new DecodeError(`bad nullable struct marker ${marker} for ${slot.name}`)
      }
      return decodeStruct(f.struct as Struct, version, flexible, r)
    }
  }
}

function nullOrFail (slot: Slot): null {
  if (!slot.nullable) throw new DecodeError(`null for non-nullable field ${slot.name}`)
  return null
}

// ---- encoding ----

export function encodeMessage<F extends Fields> (m: Message<F>, version: number, value: MsgInput<F>, w: Writer = new Writer()): Writer {
  if (!inRange(m.validVersions, version)) throw new EncodeError(`${m.name} has no version ${version}`)
  encodeStruct(m.struct, version, inRange(m.flexible, version), value as Record<string, unknown>, w, m.name)
  return w
}

function encodeStruct (s: Struct, version: number, flexible: boolean, value: Record<string, unknown>, w: Writer, path: string): void {
  const plan = planFor(s, version, flexible)
  for (const slot of plan.inline) {
    const v = value[slot.name]
    encodeValue(slot, version, flexible, v === undefined ? defaultValue(slot.field) : v, w, path)
  }
  for (const slot of plan.absent) {
    const v = value[slot.name]
    if (!slot.field.ignorable && !isDefault(slot.field, v)) {
      throw new EncodeError(`${path}.${slot.name} cannot be sent at version ${version}`)
    }
  }
  if (!flexible) return
  const unknown = (value as { [UNKNOWN_TAGS]?: UnknownTags })[UNKNOWN_TAGS]
  const present: Array<readonly [number, Writer | Buffer]> = []
  for (const slot of plan.tagged) {
    const v = value[slot.name]
    if (isDefault(slot.field, v)) continue
    const sub = new Writer()
    encodeValue(slot, version, true, v, sub, path)
    present.push([slot.field.tag, sub])
  }
  if (unknown !== undefined) {
    for (const [tag, bytes] of unknown) present.push([tag, bytes])
    present.sort((a, b) => a[0] - b[0])
  }
  w.uvarint(present.length)
  for (const [tag, body] of present) {
    w.uvarint(tag)
    if (Buffer.isBuffer(body)) {
      w.uvarint(body.length).raw(body)
    } else {
      w.uvarint(body.length).append(body)
    }
  }
}

function encodeValue (slot: Slot, version: number, flexible: boolean, v: unknown, w: Writer, path: string): void {
  const f = slot.field
  switch (f.kind) {
    case 'bool': w.bool(v as boolean); return
    case 'int8': w.int8(v as number); return
    case 'int16': w.int16(v as number); return
    case 'uint16': w.uint16(v as number); return
    case 'int32': w.int32(v as number); return
    case 'uint32': w.uint32(v as number); return
    case 'int64': w.int64(v as bigint); return
    case 'float64': w.float64(v as number); return
    case 'uuid': w.uuid(v as string); return
    case 'string': {
      if (v === null) { writeNull(slot, w, false, path); return }
      const s = v as string
      const n = Buffer.byteLength(s, 'utf8')
      if (!slot.compact && n > 0x7fff) throw new EncodeError(`${path}.${slot.name} is longer than 32767 bytes`)
      w.sizePrefix(n, slot.compact, false).utf8(s, n)
      return
    }
    case 'bytes': {
      if (v === null) { writeNull(slot, w, true, path); return }
      const b = v as Uint8Array
      w.sizePrefix(b.length, slot.compact, true).raw(b)
      return
    }
    case 'records': {
      if (v === null) { writeNull(slot, w, true, path); return }
      if (Array.isArray(v)) {
        const list = v as readonly Buffer[]
        let n = 0
        for (const b of list) n += b.length
        w.sizePrefix(n, slot.compact, true)
        for (const b of list) w.raw(b)
      } else {
        const b = v as Buffer
        w.sizePrefix(b.length, slot.compact, true).raw(b)
      }
      return
    }
    case 'array': {
      if (v === null) { writeNull(slot, w, true, path); return }
      const list = v as readonly unknown[]
      w.sizePrefix(list.length, slot.compact, true)
      const elem = f.elem as Field
      const elemSlot: Slot = { name: slot.name, field: elem, nullable: false, compact: slot.compact }
      for (const e of list) encodeValue(elemSlot, version, flexible, e === undefined ? defaultValue(elem) : e, w, path)
      return
    }
    case 'struct': {
      if (v === null) {
        if (!slot.nullable) throw new EncodeError(`${path}.${slot.name} is null but not nullable at version ${version}`)
        w.int8(-1)
        return
      }
      if (slot.nullable) w.int8(1)
      encodeStruct(f.struct as Struct, version, flexible, v as Record<string, unknown>, w, `${path}.${slot.name}`)
    }
  }
}

function writeNull (slot: Slot, w: Writer, wide: boolean, path: string): void {
  if (!slot.nullable) throw new EncodeError(`${path}.${slot.name} is null but not nullable`)
  w.sizePrefix(-1, slot.compact, wide)
}
