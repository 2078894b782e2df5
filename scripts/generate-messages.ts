// Generates src/protocol/messages/*.ts and src/protocol/ApiKey.ts from Kafka's message
// definitions (../shared/kafka-protocol/message/*.json). Only structure is carried over: names,
// types, version ranges, nullability, tags and defaults; no text from the definitions.
//
//   node scripts/generate-messages.ts            write the files
//   node scripts/generate-messages.ts --check    fail (exit 1) if the committed files differ
//   --from DIR                                   read definitions from DIR instead

import { readdirSync, readFileSync, writeFileSync, mkdirSync, existsSync, rmSync } from 'node:fs'
import { join, dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const check = args.includes('--check')
const fromIndex = args.indexOf('--from')
const defsDir = fromIndex >= 0 ? resolve(args[fromIndex + 1] ?? '') : resolve(root, '../shared/kafka-protocol/message')
const outDir = join(root, 'src/protocol/messages')

interface JsonField {
  name: string
  type: string
  versions?: string
  nullableVersions?: string
  taggedVersions?: string
  tag?: number
  default?: string | number | boolean
  ignorable?: boolean
  flexibleVersions?: string
  fields?: JsonField[]
}
interface JsonMessage {
  apiKey?: number
  type: 'request' | 'response' | 'header' | 'data' | 'metadata'
  name: string
  validVersions: string
  flexibleVersions: string
  deprecatedVersions?: string
  latestVersionUnstable?: boolean
  listeners?: string[]
  fields: JsonField[]
  commonStructs?: Array<{ name: string, versions: string, fields: JsonField[] }>
}

/** Removes // and /* *\/ comments outside string literals. */
function stripComments (text: string): string {
  let out = ''
  let i = 0
  let inString = false
  while (i < text.length) {
    const c = text[i] as string
    if (inString) {
      out += c
      if (c === '\\') { out += text[i + 1] ?? ''; i += 2; continue }
      if (c === '"') inString = false
      i++
    } else if (c === '"') {
      inString = true; out += c; i++
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2)
      i = end < 0 ? text.length : end + 2
    } else {
      out += c; i++
    }
  }
  return out
}

const PRIMITIVES = new Set(['bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'bytes', 'records', 'uuid'])
const INT_TYPES = new Set(['int8', 'int16', 'uint16', 'int32', 'uint32'])

function camel (name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1)
}

function defaultLiteral (f: JsonField, elemType: string, isArray: boolean): string | undefined {
  if (f.default === undefined) return undefined
  const d = String(f.default)
  if (d === 'null') return 'null'
  if (isArray || !PRIMITIVES.has(elemType)) return undefined // arrays and structs: only "" (the natural default)
  if (INT_TYPES.has(elemType)) {
    const n = d.startsWith('0x') ? parseInt(d.slice(2), 16) : Number(d)
    if (!Number.isInteger(n)) throw new Error(`${f.name}: bad default ${d}`)
    return n === 0 ? undefined : String(n)
  }
  if (elemType === 'int64') {
    const n = d.startsWith('0x') ? BigInt(d) : BigInt(d)
    return n === 0n ? undefined : `${n}n`
  }
  if (elemType === 'float64') return Number(d) === 0 ? undefined : String(Number(d))
  if (elemType === 'bool') return d === 'true' ? 'true' : undefined
  if (elemType === 'string') return d === '' ? undefined : JSON.stringify(d)
  if (elemType === 'uuid') return undefined
  if (elemType === 'bytes' || elemType === 'records') return undefined
  throw new Error(`${f.name}: unhandled default ${d} for ${elemType}`)
}

class Emitter {
  readonly common = new Map<string, JsonField[]>()
  readonly usedCommon = new Set<string>()
  readonly builders = new Set<string>()

  constructor (msg: JsonMessage[]) {
    for (const m of msg) for (const s of m.commonStructs ?? []) this.common.set(s.name, s.fields)
  }

  fields (fields: JsonField[], indent: string): string {
    const lines = fields.map(f => `${indent}${camel(f.name)}: ${this.field(f, indent)},`)
    return `{\n${lines.join('\n')}\n${indent.slice(2)}}`
  }

  field (f: JsonField, indent: string): string {
    const isArray = f.type.startsWith('[]')
    const elemType = isArray ? f.type.slice(2) : f.type
    const opts: string[] = []
    const versions = f.versions ?? f.taggedVersions
    if (versions !== undefined && versions !== '0+') opts.push(`versions: '${versions}'`)
    if (f.nullableVersions !== undefined) opts.push(`nullable: '${f.nullableVersions}'`)
    if (f.taggedVersions !== undefined) opts.push(`tagged: '${f.taggedVersions}', tag: ${String(f.tag)}`)
    const d = defaultLiteral(f, elemType, isArray)
    if (d !== undefined) opts.push(`default: ${d}`)
    if (f.ignorable === true) opts.push('ignorable: true')
    if (f.flexibleVersions === 'none') opts.push("flexible: 'none'")
    const o = opts.length > 0 ? `{ ${opts.join(', ')} }` : ''
    let elem: string
    if (PRIMITIVES.has(elemType)) {
      elem = `${elemType}(${isArray ? '' : o})`
      this.builders.add(elemType)
    } else {
      this.builders.add('struct')
      let body: string
      if (f.fields !== undefined) body = this.fields(f.fields, indent + '  ')
      else if (this.common.has(elemType)) { body = elemType; this.usedCommon.add(elemType) } else throw new Error(`unknown type ${elemType} in ${f.name}`)
      elem = `struct(${body}${isArray || o === '' ? '' : ', ' + o})`
    }
    if (!isArray) return elem
    this.builders.add('array')
    return `array(${elem}${o === '' ? '' : ', ' + o})`
  }

  commonDecls (): string {
    // Common structs may refer to each other: emit in dependency order.
    const out: string[] = []
    const done = new Set<string>()
    const visit = (name: string): void => {
      if (done.has(name)) return
      done.add(name)
      const fields = this.common.get(name) as JsonField[]
      const deps = (fs: JsonField[]): void => {
        for (const f of fs) {
          const t = f.type.replace(/^\[\]/, '')
          if (f.fields !== undefined) deps(f.fields)
          else if (this.common.has(t)) { this.usedCommon.add(t); visit(t) }
        }
      }
      deps(fields)
      out.push(`const ${name} = ${this.fields(fields, '  ')}\n`)
    }
    for (const name of [...this.usedCommon]) visit(name)
    return out.join('\n')
  }
}

function header (builders: Set<string>, kind: 'api' | 'message'): string {
  const names = [kind, ...[...builders].sort()]
  return '// Generated by scripts/generate-messages.ts from Kafka\'s message definitions. Do not edit.\n\n' +
    `import { ${names.join(', ')} } from '../schema.ts'\n\n`
}

function loadDefinitions (): JsonMessage[] {
  const out: JsonMessage[] = []
  for (const file of readdirSync(defsDir).sort()) {
    if (!file.endsWith('.json')) continue
    out.push(JSON.parse(stripComments(readFileSync(join(defsDir, file), 'utf8'))) as JsonMessage)
  }
  return out
}

function generate (): Map<string, string> {
  const defs = loadDefinitions()
  const files = new Map<string, string>()
  const requests = new Map<number, JsonMessage>()
  const responses = new Map<number, JsonMessage>()
  const apiNames: Array<[string, number]> = []
  const others: string[] = []
  for (const d of defs) {
    if (d.type === 'request') requests.set(d.apiKey as number, d)
    else if (d.type === 'response') responses.set(d.apiKey as number, d)
  }
  for (const [key, req] of [...requests].sort((a, b) => a[0] - b[0])) {
    const res = responses.get(key)
    if (res === undefined) throw new Error(`no response for ${req.name}`)
    if (res.validVersions !== req.validVersions) throw new Error(`${req.name}: request and response versions differ`)
    const name = req.name.replace(/Request$/, '')
    const e = new Emitter([req, res])
    const reqFields = e.fields(req.fields, '    ')
    const resFields = e.fields(res.fields, '    ')
    const spec: string[] = [
      `  key: ${key},`,
      `  name: '${name}',`,
      `  versions: '${req.validVersions}',`,
      `  flexible: '${req.flexibleVersions}',`,
    ]
    if (res.flexibleVersions !== req.flexibleVersions) spec.push(`  responseFlexible: '${res.flexibleVersions}',`)
    if (req.deprecatedVersions !== undefined) spec.push(`  deprecated: '${req.deprecatedVersions}',`)
    if (req.latestVersionUnstable === true) spec.push('  latestVersionUnstable: true,')
    if (req.listeners !== undefined) spec.push(`  listeners: [${req.listeners.map(l => `'${l}'`).join(', ')}],`)
    spec.push(`  request: ${reqFields},`, `  response: ${resFields},`)
    const common = e.commonDecls()
    let text = header(e.builders, 'api') + (common === '' ? '' : common + '\n') +
      `export const ${name} = api({\n${spec.join('\n')}\n})\n`
    text = text.replace("import { api, ", "import { api, type RequestOf, type ResponseOf, ")
    text += `export type ${name}Request = RequestOf<typeof ${name}>\nexport type ${name}Response = ResponseOf<typeof ${name}>\n`
    files.set(`${name}.ts`, text)
    apiNames.push([name, key])
  }
  for (const d of defs) {
    if (d.type !== 'header' && d.type !== 'data') continue
    const e = new Emitter([d])
    const body = e.fields(d.fields, '  ')
    const common = e.commonDecls()
    const text = header(e.builders, 'message').replace("import { message, ", "import { message, type DataOf, ") +
      (common === '' ? '' : common + '\n') +
      `export const ${d.name} = message('${d.name}', '${d.validVersions}', '${d.flexibleVersions}', ${body})\n` +
      `export type ${d.name}Data = DataOf<typeof ${d.name}>\n`
    files.set(`${d.name}.ts`, text)
    others.push(d.name)
  }
  const index = '// Generated by scripts/generate-messages.ts. Do not edit.\n\n' +
    apiNames.map(([n]) => `import { ${n} } from './${n}.ts'\n`).join('') +
    '\n/** Every API Kafka defines, by key. */\nexport const ALL_APIS = [\n' + apiNames.map(([n]) => `  ${n},\n`).join('') + '] as const\n\n' +
    apiNames.map(([n]) => `export { ${n} }\n`).join('') +
    others.map(n => `import { ${n} } from './${n}.ts'\n`).join('') +
    '\n/** Headers and embedded data payloads. */\nexport const ALL_DATA = [\n' + others.map(n => `  ${n},\n`).join('') + '] as const\n\n' +
    others.map(n => `export { ${n} }\n`).join('')
  files.set('index.ts', index)
  const apiKey = '// Generated by scripts/generate-messages.ts. Do not edit.\n\n' +
    '/** Kafka API keys by API name. */\nexport const ApiKey = {\n' + apiNames.map(([n, k]) => `  ${n}: ${k},\n`).join('') + '} as const\n' +
    'export type ApiKey = typeof ApiKey[keyof typeof ApiKey]\n'
  files.set('../ApiKey.ts', apiKey)
  return files
}

if (!existsSync(defsDir)) {
  console.log(`check:protocol: ${defsDir} is absent; nothing to compare`)
  process.exit(0)
}
const files = generate()
if (check) {
  const differ: string[] = []
  for (const [name, text] of files) {
    const path = join(outDir, name)
    if (!existsSync(path) || readFileSync(path, 'utf8') !== text) differ.push(name)
  }
  const expected = new Set([...files.keys()].filter(n => !n.startsWith('../')))
  for (const f of readdirSync(outDir)) if (!expected.has(f)) differ.push(`${f} (not generated)`)
  if (differ.length > 0) {
    console.error(`check:protocol: ${differ.length} file(s) differ from the definitions: ${differ.join(', ')}\nrun: npm run generate`)
    process.exit(1)
  }
  console.log(`check:protocol: ${files.size} generated files match ${defsDir}`)
} else {
  if (existsSync(outDir)) rmSync(outDir, { recursive: true })
  mkdirSync(outDir, { recursive: true })
  for (const [name, text] of files) writeFileSync(join(outDir, name), text)
  console.log(`wrote ${files.size} files`)
}
