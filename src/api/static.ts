/**
 * The built web page (dist/web, made by `npm run build:web`), read once into memory and
 * served by name: a URL only ever selects one of these files, never a path on disk.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface WebAsset {
  readonly body: Buffer;
  readonly type: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** dist/web of this package: the same from src/api (tests) and dist/api (the built node). */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../dist/web/', import.meta.url));

/** The servable files of `root` by name; empty when the page was not built. */
export function loadWebAssets(root: string = DEFAULT_WEB_ROOT): Map<string, WebAsset> {
  const assets = new Map<string, WebAsset>();
  if (!existsSync(root)) return assets;
  for (const name of readdirSync(root)) {
    const type = TYPES[name.slice(name.lastIndexOf('.'))];
    if (type) assets.set(name, { body: readFileSync(join(root, name)), type });
  }
  return assets;
}

/**
 * What the page may load: only this server's own scripts, styles and API (it works offline
 * and pulls in nothing from elsewhere).
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
