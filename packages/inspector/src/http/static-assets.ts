import { readdir, readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname } from 'node:path';
import { HttpError, sendText } from './respond.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
};

/** Same-origin files only; no inline script or style, no framing. */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

// src/http and dist/http sit at the same depth, so this finds packages/inspector/assets/.
const ASSETS_DIR = new URL('../../assets/', import.meta.url);

/** The web page's files, read once at start and served from memory. */
export class StaticAssets {
  private constructor(private readonly files: ReadonlyMap<string, Buffer>) {}

  /**
   * Reads every page file (HTML, CSS, JS) of the folder once. Requests are then served from
   * this map, so no request path ever reaches the file system. Fails (and so fails the
   * module's start) when the folder or `index.html` is missing.
   */
  static async load(dir: URL = ASSETS_DIR): Promise<StaticAssets> {
    const names = (await readdir(dir)).filter((name) => TYPES[extname(name)] !== undefined);
    const entries = await Promise.all(
      names.map(async (name) => [name, await readFile(new URL(name, dir))] as const),
    );
    const files = new Map(entries);
    if (!files.has('index.html')) throw new Error(`index.html is missing in ${dir.href}`);
    return new StaticAssets(files);
  }

  /** The names of the files served under `/assets/`. */
  get names(): string[] {
    return [...this.files.keys()].sort();
  }

  /** Sends one asset by file name; 404 for anything not on the list. */
  send(res: ServerResponse, name: string): void {
    const body = this.files.get(name);
    if (body === undefined) throw new HttpError(404, `No such asset: ${name}`);
    sendText(res, 200, TYPES[extname(name)] ?? 'application/octet-stream', body, {
      'cache-control': 'no-cache',
      'content-security-policy': CSP,
    });
  }
}
