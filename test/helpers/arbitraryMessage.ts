// fast-check arbitraries that build random valid values of a message description at a version.
import fc from 'fast-check'
import { defaultValue } from '../../src/protocol/codec.ts'
import { type Field, inRange, type Message, type Struct } from '../../src/protocol/schema.ts'

const MAX_ARRAY = 3

export function arbitraryMessage (m: Message, version: number): fc.Arbitrary<Record<string, unknown>> {
  return arbitraryStruct(m.struct, version, inRange(m.flexible, version))
}

function arbitraryStruct (s: Struct, version: number, flexible: boolean): fc.Arbitrary<Record<string, unknown>> {
  const shape: Record<string, fc.Arbitrary<unknown>> = {}
  for (const [name, f] of s.fields) {
    const present = inRange(f.versions, version) && (inRange(f.tagged, version) ? flexible : true)
    shape[name] = present ? arbitraryField(f, version, flexible) : fc.constant(defaultValue(f))
  }
  return fc.record(shape, { noNullPrototype: true }) as fc.Arbitrary<Record<string, unknown>>
}

function arbitraryField (f: Field, version: number, flexible: boolean): fc.Arbitrary<unknown> {
  const base = arbitraryKind(f, version, flexible)
  return inRange(f.nullable, version) ? fc.option(base, { nil: null, freq: 4 }) : base
}

function arbitraryKind (f: Field, version: number, flexible: boolean): fc.Arbitrary<unknown> {
  switch (f.kind) {
    case 'bool': return fc.boolean()
    case 'int8': return fc.integer({ min: -128, max: 127 })
    case 'int16': return fc.integer({ min: -32768, max: 32767 })
    case 'uint16': return fc.integer({ min: 0, max: 65535 })
    case 'int32': return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })
    case 'uint32': return fc.integer({ min: 0, max: 2 ** 32 - 1 })
    case 'int64': return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
    case 'float64': return fc.double({ noNaN: true })
    case 'string': return fc.string({ unit: 'grapheme', maxLength: 12 })
    case 'bytes': case 'records': return fc.uint8Array({ maxLength: 24 }).map(a => Buffer.from(a))
    case 'uuid': return fc.uint8Array({ minLength: 16, maxLength: 16 }).map(a => Buffer.from(a).toString('base64url'))
    case 'array': return fc.array(arbitraryKind(f.elem as Field, version, flexible), { maxLength: MAX_ARRAY })
    case 'struct': return arbitraryStruct(f.struct as Struct, version, flexible)
  }
}

/** Every version of a message, in order. */
export function versionsOf (m: Message): number[] {
  const out: number[] = []
  for (let v = m.validVersions.min; v <= m.validVersions.max; v++) out.push(v)
  return out
}
