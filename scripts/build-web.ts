/**
 * Builds the web pages into dist/web: each page's TypeScript bundled with its libraries
 * (d3-hierarchy, uPlot) by esbuild into one script and one stylesheet, and its HTML copied.
 * Nothing is fetched from elsewhere at run time, so the page works offline.
 *
 *   npx tsx scripts/build-web.ts        (npm run build:web)
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const WEB_OUT = `${ROOT}dist/web/`;

/** Each page: its HTML, and its entry script (bundled to assets named after `name`). */
const PAGES = [
  { html: 'index.html', entry: 'main.ts', name: 'app' },
  { html: 'network.html', entry: 'network.ts', name: 'network' },
];

export async function buildWeb(): Promise<void> {
  await mkdir(WEB_OUT, { recursive: true });
  await build({
    entryPoints: Object.fromEntries(PAGES.map((page) => [page.name, `${ROOT}web/${page.entry}`])),
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: false,
    outdir: WEB_OUT,
    logLevel: 'warning',
    // The page's shared stylesheet is imported by each entry, so each bundle has its own CSS file.
    loader: { '.css': 'css' },
  });
  for (const page of PAGES) await copyFile(`${ROOT}web/${page.html}`, `${WEB_OUT}${page.html}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildWeb();
}
