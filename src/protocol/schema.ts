// Field builders: how a Kafka message is described once, as data, for all of its versions.
//
// A description is a tree of Field objects. Each field knows its wire kind, the versions in which
// it exists, in which it may be null, in which it travels in the tagged section (and its tag), its
// default, and whether dropping a non-default value at a version that lacks it is allowed.
// src/protocol/codec.ts is the one encoder/decoder that walks these trees; messages/*.ts are
// generated from Kafka's JSON definitions by scripts/generate-messages.ts.
//
// Values: int8..int32, uint16, uint32, float64 -> number; int64 -> bigint; string -> string;
// bytes and records -> Buffer (records encode also from a list of Buffers, for zero-copy fetch);
// uuid -> Kafka's 22-character URL-safe base64 text; arrays -> arrays; structs -> plain objects
// whose keys are the JSON field names in camelCase.

export type Kind =
  | 'bool' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float64'
  | 'string' | 'bytes' | 'records' | 'uuid' | 'array' | 'struct'

/** An inclusive version range; `none` is { min: 1, max: 0 }. */
export interface VersionRange { readonly min: number, readonly max: number }

export const MAX_VERSION = 0x7fff
export const NO_VERSIONS: VersionRange = Object.freeze({ min: 1, max: 0 })

/** Parses Kafka's version-range strings: `N`, `A-B`, `N+`, `none`. */
export function parseVersions (text: string): VersionRange {
  if (text === 'none') return NO_VERSIONS
  const plus = /^(\d+)\+$/.exec(text)
  if (plus !== null) return Object.freeze({ min: Number(plus[1]), max: MAX_VERSION })
  const range = /^(\d+)-(\d+)$/.exec(text)
  if (range !== null) return Object.freeze({ min: Number(range[1]), max: Number(range[2]) })
  if (/^\d+$/.test(text)) return Object.freeze({ min: Number(text), max: Number(text) })
  throw new Error(`bad version range '${text}'`)
}

export function inRange (r: VersionRange | null, v: number): boolean {
  return r !== null && v >= r.min && v <= r.max
}

export interface FieldOpts {
  /** Versions in which the field exists; default `0+`. */
  readonly versions?: string
  /** Versions in which null may be encoded. */
  readonly nullable?: string
  /** Versions in which the field travels in the tagged section. */
  readonly tagged?: string
  readonly tag?: number
  readonly default?: number | bigint | boolean | string | null
  readonly ignorable?: boolean
  /** `none`: this string/bytes field keeps the non-compact encoding even in flexible versions. */
  readonly flexible?: 'none'
}

export type DefaultValue = number | bigint | boolean | string | null | undefined

export interface Field<T = unknown, I = T> {
  readonly kind: Kind
  readonly versions: VersionRange
  readonly nullable: VersionRange | null
  readonly tagged: VersionRange | null
  readonly tag: number
  /** undefined = the kind's natural default (0, false, '', empty, all-default struct). */
  readonly default: DefaultValue
  readonly ignorable: boolean
  readonly neverCompact: boolean
  readonly elem: Field | null
  readonly struct: Struct | null
  /** Phantom members carrying the decoded and the encodable value types. */
  readonly __value?: T
  readonly __input?: I
}

/** A struct: its fields in wire order, as [name, field] pairs. */
export interface Struct {
  readonly fields: ReadonlyArray<readonly [string, Field]>
}

export type Fields = Readonly<Record<string, Field<unknown, unknown>>>
export type ValueOf<F> = F extends Field<infer T, unknown> ? T : never
export type InputOf<F> = F extends Field<unknown, infer I> ? I : never
/** A decoded struct: every field present (defaults filled in). */
export type Msg<F extends Fields> = { -readonly [K in keyof F]: ValueOf<F[K]> }
/** An encodable struct: any field may be left out and takes its default. */
export type MsgInput<F extends Fields> = { [K in keyof F]?: InputOf<F[K]> }

type Nullable<O, T> = O extends { readonly nullable: string } ? T | null : T

function field (kind: Kind, o: FieldOpts | undefined, elem: Field | null, fields: Fields | null): Field<never> {
  const tagged = o?.tagged !== undefined ? parseVersions(o.tagged) : null
  if (tagged !== null && o?.tag === undefined) throw new Error('tagged field without a tag')
  return Object.freeze({
    kind,
    versions: parseVersions(o?.versions ?? o?.tagged ?? '0+'),
    nullable: o?.nullable !== undefined ? parseVersions(o.nullable) : null,
    tagged,
    tag: o?.tag ?? -1,
    default: o?.default,
    ignorable: o?.ignorable ?? false,
    neverCompact: o?.flexible === 'none',
    elem,
    struct: fields === null ? null : toStruct(fields),
  })
}

const structs = new WeakMap<Fields, Struct>()
export function toStruct (fields: Fields): Struct {
  let s = structs.get(fields)
  if (s === undefined) {
    s = Object.freeze({ fields: Object.freeze(Object.entries(fields).map(([k, f]) => Object.freeze([k, f] as const))) })
    structs.set(fields, s)
  }
  return s
}

export const bool = <const O extends FieldOpts>(o?: O): Field<boolean> => field('bool', o, null, null)
export const int8 = <const O extends FieldOpts>(o?: O): Field<number> => field('int8', o, null, null)
export const int16 = <const O extends FieldOpts>(o?: O): Field<number> => field('int16', o, null, null)
export const uint16 = <const O extends FieldOpts>(o?: O): Field<number> => field('uint16', o, null, null)
export const int32 = <const O extends FieldOpts>(o?: O): Field<number> => field('int32', o, null, null)
export const uint32 = <const O extends FieldOpts>(o?: O): Field<number> => field('uint32', o, null, null)
export const int64 = <const O extends FieldOpts>(o?: O): Field<bigint> => field('int64', o, null, null)
export const float64 = <const O extends FieldOpts>(o?: O): Field<number> => field('float64', o, null, null)
export const uuid = <const O extends FieldOpts>(o?: O): Field<string> => field('uuid', o, null, null)
export const string = <const O extends FieldOpts = {}>(o?: O): Field<Nullable<O, string>> => field('string', o, null, null)
export const bytes = <const O extends FieldOpts = {}>(o?: O): Field<Nullable<O, Buffer>> => field('bytes', o, null, null)
/** Record batches: decoded as one Buffer; encodable from a list of Buffers (written without copying). */
export const records = <const O extends FieldOpts = {}>(o?: O): Field<Buffer | null, Buffer | readonly Buffer[] | null> =>
  field('records', o, null, null)
export const array = <E extends Field<unknown, unknown>, const O extends FieldOpts = {}>(elem: E, o?: O):
Field<Nullable<O, Array<ValueOf<E>>>, Nullable<O, ReadonlyArray<InputOf<E>>>> => field('array', o, elem, null)
export const struct = <F extends Fields, const O extends FieldOpts = {}>(fields: F, o?: O):
Field<Nullable<O, Msg<F>>, Nullable<O, MsgInput<F>>> => field('struct', o, null, fields)

/** One side (request or response) of an API, or a header, or an embedded data payload. */
export interface Message<F extends Fields = Fields> {
  readonly name: string
  readonly validVersions: VersionRange
  readonly flexible: VersionRange
  readonly fields: F
  readonly struct: Struct
}

export function message<F extends Fields> (name: string, validVersions: string, flexible: string, fields: F): Message<F> {
  return Object.freeze({ name, validVersions: parseVersions(validVersions), flexible: parseVersions(flexible), fields, struct: toStruct(fields) })
}

export interface Api<Req extends Fields = Fields, Res extends Fields = Fields> {
  readonly key: number
  readonly name: string
  readonly validVersions: VersionRange
  readonly deprecated: VersionRange
  /** The highest version is unfinished in Kafka and is never advertised. */
  readonly latestVersionUnstable: boolean
  readonly listeners: readonly string[]
  readonly request: Message<Req>
  readonly response: Message<Res>
}

export interface ApiSpec<Req extends Fields, Res extends Fields> {
  readonly key: number
  readonly name: string
  readonly versions: string
  readonly flexible: string
  /** Only when the response's flexible versions differ from the request's. */
  readonly responseFlexible?: string
  readonly deprecated?: string
  readonly latestVersionUnstable?: boolean
  readonly listeners?: readonly string[]
  readonly request: Req
  readonly response: Res
}

export function api<Req extends Fields, Res extends Fields> (spec: ApiSpec<Req, Res>): Api<Req, Res> {
  return Object.freeze({
    key: spec.key,
    name: spec.name,
    validVersions: parseVersions(spec.versions),
    deprecated: parseVersions(spec.deprecated ?? 'none'),
    latestVersionUnstable: spec.latestVersionUnstable ?? false,
    listeners: Object.freeze([...(spec.listeners ?? [])]),
    request: message(`${spec.name}Request`, spec.versions, spec.flexible, spec.request),
    response: message(`${spec.name}Response`, spec.versions, spec.responseFlexible ?? spec.flexible, spec.response),
  })
}

export type RequestOf<A> = A extends Api<infer Req, Fields> ? Msg<Req> : never
export type ResponseOf<A> = A extends Api<Fields, infer Res> ? Msg<Res> : never
export type ResponseInput<A> = A extends Api<Fields, infer Res> ? MsgInput<Res> : never
export type RequestInput<A> = A extends Api<infer Req, Fields> ? MsgInput<Req> : never
export type DataOf<M> = M extends Message<infer F> ? Msg<F> : never
