// The console's built page (console-ui/dist, made by `npm run build:console`, which `npm install`
// runs as the prepare script): read into memory once at start (a few hundred KB), served with
// their content types. Hashed files under assets/ are cached for good; index.html never is.
// Nothing is fetched from the network at run time: the build bundles every script, style and
// font the page uses.

import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

export const DEFAULT_ASSETS_DIR = fileURLToPath(new URL('../../console-ui/dist/', import.meta.url))
/** The built page is small; anything bigger in the folder is not ours to serve. */
const MAX_ASSET_BYTES = 4 * 1024 * 1024

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
}

interface Asset { body: Buffer, type: string, etag: string, immutable: boolean }

export class StaticAssets {
  private readonly files = new Map<string, Asset>()
  readonly dir: string

  private constructor (dir: string) {
    this.dir = dir
  }

  /** Loads the folder; `missing` is true when there is no index.html (the UI was not built). */
  static async load (dir: string = DEFAULT_ASSETS_DIR): Promise<StaticAssets> {
    const assets = new StaticAssets(dir)
    let entries: string[]
    try {
      entries = await readdir(dir, { recursive: true })
    } catch {
      return assets
    }
    for (const entry of entries) {
      const type = TYPES[extname(entry)]
      if (type === undefined) continue
      let body: Buffer
      try { body = await readFile(join(dir, entry)) } catch { continue }
      if (body.length > MAX_ASSET_BYTES) continue
      const path = '/' + relative(dir, join(dir, entry)).split(sep).join('/')
      const etag = `"${createHash('sha1').update(body).digest('base64url').slice(0, 16)}"`
      assets.files.set(path, { body, type, etag, immutable: path.startsWith('/assets/') })
    }
    return assets
  }

  get missing (): boolean { return !this.files.has('/index.html') }

  /** Serves a GET for `path`; paths of the page's own routes get index.html. False when nothing matched. */
  serve (req: IncomingMessage, res: ServerResponse, path: string): boolean {
    let asset = this.files.get(path === '/' ? '/index.html' : path)
    if (asset === undefined && extname(path) === '') asset = this.files.get('/index.html')
    if (asset === undefined) return false
    const headers: Record<string, string> = {
      'content-type': asset.type,
      etag: asset.etag,
      'cache-control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
    }
    if (asset.type.startsWith('text/html')) {
      // Scripts, styles, images and connections only from this origin: nothing from the network.
      headers['content-security-policy'] = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'"
    }
    if (req.headers['if-none-match'] === asset.etag) {
      res.writeHead(304, headers).end()
      return true
    }
    res.writeHead(200, { ...headers, 'content-length': String(asset.body.length) })
    res.end(req.method === 'HEAD' ? undefined : asset.body)
    return true
  }
}
