/** Number formatting shared by budgets and summaries; counts are exact (compiler/sema/count.ts). */
import { formatExact, toNumber, type Count } from '../sema/count.js';

/** 61,706; every digit of a count beyond 2^53. */
export function formatInt(n: Count): string {
  return typeof n === 'bigint' ? formatExact(n) : Math.round(n).toLocaleString('en-US');
}

/** 61.1M, 1.81G, 9.4K, 512, 1.73P */
export function formatCount(c: Count): string {
  const n = toNumber(c);
  const abs = Math.abs(n);
  const units: [number, string][] = [
    [1e24, 'Y'],
    [1e21, 'Z'],
    [1e18, 'E'],
    [1e15, 'P'],
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [v, u] of units) if (abs >= v) return `${trim(n / v)}${u}`;
  return String(n);
}

/** 44.59 MiB; `?` when unknown (symbolic input size). */
export function formatBytes(c: Count | null): string {
  if (c === null) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];
  const n = toNumber(c);
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
