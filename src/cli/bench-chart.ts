/**
 * `powchain bench --svg <file>`: the measurements as a horizontal bar chart, one bar per
 * engine and thread count and per reference, in MH/s on a linear scale, the value written
 * at the end of each bar. Plain SVG 1.1 with no script, no external font or stylesheet, so
 * that it renders the same on GitHub, in a browser and in an image viewer.
 */

export interface ChartRow {
  readonly label: string;
  /** Our engines and the references get different colours. */
  readonly kind: 'engine' | 'reference';
  readonly hashesPerSecond: number;
  /** Written after the value when given: the rate per CPU second (a shared machine lowers it less). */
  readonly hashesPerCpuSecond?: number;
}

const WIDTH = 860;
const LABEL_WIDTH = 330;
const VALUE_WIDTH = 120;
const BAR_HEIGHT = 22;
const GAP = 8;
/** Below the title and the caption lines. */
const HEADER = 40;
const CAPTION_LINE = 18;
const BOTTOM = 40;
const COLOURS = { engine: '#2f6fb0', reference: '#9a9a9a' } as const;

const value = (mhs: number): string => mhs.toFixed(mhs < 1 ? 3 : 2);

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A round step for the axis (1, 2 or 5 times a power of ten) giving about five ticks. */
function tickStep(max: number): number {
  const raw = max / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= raw);
  return step ?? 10 * power;
}

export function renderBenchSvg(rows: readonly ChartRow[], title: string, caption: readonly string[]): string {
  const top = HEADER + caption.length * CAPTION_LINE + 14;
  const max = Math.max(...rows.map((row) => row.hashesPerSecond / 1e6), 0.001);
  const step = tickStep(max);
  const axisMax = Math.ceil(max / step) * step;
  const plotWidth = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const x = (mhs: number): number => LABEL_WIDTH + (mhs / axisMax) * plotWidth;
  const height = top + rows.length * (BAR_HEIGHT + GAP) + BOTTOM;
  const plotBottom = top + rows.length * (BAR_HEIGHT + GAP);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="13">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="24" font-size="16" font-weight="bold">${escape(title)}</text>`,
    ...caption.map((line, i) => `<text x="12" y="${44 + i * CAPTION_LINE}" fill="#555555">${escape(line)}</text>`),
  ];
  for (let tick = 0; tick <= axisMax + step / 2; tick += step) {
    const at = x(tick).toFixed(1);
    parts.push(`<line x1="${at}" y1="${top - 6}" x2="${at}" y2="${plotBottom}" stroke="#e3e3e3"/>`);
    const value = Number(tick.toPrecision(6));
    parts.push(`<text x="${at}" y="${plotBottom + 16}" text-anchor="middle" fill="#555555">${value}</text>`);
  }
  parts.push(
    `<text x="${(LABEL_WIDTH + plotWidth / 2).toFixed(1)}" y="${plotBottom + 33}" text-anchor="middle" fill="#555555">MH/s (millions of nonces hashed per second)</text>`,
  );
  rows.forEach((row, i) => {
    const y = top + i * (BAR_HEIGHT + GAP);
    const mhs = row.hashesPerSecond / 1e6;
    const end = x(mhs);
    parts.push(
      `<text x="${LABEL_WIDTH - 8}" y="${y + BAR_HEIGHT / 2 + 4.5}" text-anchor="end">${escape(row.label)}</text>`,
      `<rect x="${LABEL_WIDTH}" y="${y}" width="${Math.max(1, end - LABEL_WIDTH).toFixed(1)}" height="${BAR_HEIGHT}" fill="${COLOURS[row.kind]}"/>`,
      `<text x="${(end + 6).toFixed(1)}" y="${y + BAR_HEIGHT / 2 + 4.5}">${value(mhs)}${row.hashesPerCpuSecond === undefined ? '' : ` (${value(row.hashesPerCpuSecond / 1e6)})`}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
