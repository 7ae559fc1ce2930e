/** How the page writes numbers, hashes and times. */

export function shortHash(hash: string, chars = 8): string {
  return hash.slice(0, chars);
}

const PREFIXES = ['', 'k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'];

/** 2097152 as "2.10 M": three significant digits and an SI prefix. */
export function formatScaled(value: number): string {
  let scaled = value;
  let prefix = 0;
  while (Math.abs(scaled) >= 1000 && prefix < PREFIXES.length - 1) {
    scaled /= 1000;
    prefix++;
  }
  const digits =
    prefix === 0 && Number.isInteger(scaled) ? 0 : Math.abs(scaled) >= 100 ? 0 : Math.abs(scaled) >= 10 ? 1 : 2;
  return `${scaled.toFixed(digits)}${PREFIXES[prefix] ? ' ' + PREFIXES[prefix] : ''}`;
}

export function formatHashrate(hashesPerSecond: number | null | undefined): string {
  if (hashesPerSecond === null || hashesPerSecond === undefined || !Number.isFinite(hashesPerSecond)) return '–';
  const scaled = formatScaled(hashesPerSecond);
  return /[a-zA-Z]$/.test(scaled) ? `${scaled}H/s` : `${scaled} H/s`;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** "12 s ago", relative to `now`. */
export function formatAgo(time: number, now: number = Date.now()): string {
  const ms = Math.max(0, now - time);
  return ms < 1_000 ? 'just now' : `${formatDuration(ms)} ago`;
}

export function formatTime(time: number | null): string {
  return time === null
    ? '–'
    : new Date(time)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC');
}

/** 1234 as "1.23 kB" (decimal prefixes, as formatScaled). */
export function formatBytes(bytes: number): string {
  return `${formatScaled(bytes)}${bytes >= 1000 ? 'B' : ' B'}`;
}
