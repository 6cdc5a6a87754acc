/** Number formatting shared by budgets and summaries. */

export function formatInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** 61.1M, 1.81G, 9.4K, 512 */
export function formatCount(n: number): string {
  const abs = Math.abs(n);
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [v, u] of units) if (abs >= v) return `${trim(n / v)}${u}`;
  return String(n);
}

/** 44.59 MiB; `?` when unknown (symbolic input size). */
export function formatBytes(n: number | null): string {
  if (n === null) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(2)} ${units[i]}`;
}

function trim(v: number): string {
  const s = v >= 100 ? v.toFixed(1) : v >= 10 ? v.toFixed(2) : v.toFixed(2);
  return s.replace(/\.?0+$/, '');
}
