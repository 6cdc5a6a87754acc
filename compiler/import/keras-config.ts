/**
 * Reading one Keras layer's config for keras-layers.ts: typed getters with Keras's defaults, and the
 * two ways a setting can fail to carry over (CNN2033, no counterpart; CNN2038, approximated).
 */
import { diag, type Diagnostic, type Span } from '../diagnostics/diagnostic.js';
import type { KerasLayer } from './keras-model.js';
import { field, numbers, str, type Literal } from './literal.js';

/** Reads a layer's config, reporting what it cannot use. */
export class Cfg {
  constructor(
    readonly layer: KerasLayer,
    private readonly report: (d: Diagnostic) => void,
  ) {}

  get(key: string): Literal | undefined {
    return field(this.layer.config, key);
  }

  spanOf(key: string): Span {
    const v = this.get(key);
    return v ? v.span : this.layer.classSpan;
  }

  /** CNN2033 at the setting; returns undefined so callers can `return this.cannot(…)`. */
  cannot(key: string, message: string, help?: string): undefined {
    this.report(
      diag('CNN2033', `Keras layer \`${this.layer.name}\` (${this.layer.className}): ${message}`, {
        span: this.spanOf(key),
        help,
      }),
    );
    return undefined;
  }

  /** CNN2038 where the difference can matter: the layer trains (a frozen one keeps its values). */
  approximate(key: string, message: string): void {
    if (!this.layer.trainable) return;
    this.report(
      diag('CNN2038', `Keras layer \`${this.layer.name}\` (${this.layer.className}): ${message}`, {
        span: this.spanOf(key),
      }),
    );
  }

  /** A positive integer or a list of `n` of them (a single number is repeated). */
  ints(key: string, n: number, fallback?: number[]): number[] | undefined {
    const v = this.get(key);
    if (v === undefined || v.kind === 'null') {
      if (fallback) return fallback;
      return this.cannot(key, `\`${key}\` is missing`);
    }
    const xs = numbers(v);
    const ok = xs && xs.every((x) => x !== null && Number.isInteger(x) && x >= 0);
    if (!ok || (xs.length !== 1 && xs.length !== n))
      return this.cannot(key, `\`${key}\` must be ${n === 1 ? 'an integer' : `${n} integers`}`);
    return xs.length === 1 && n > 1 ? new Array<number>(n).fill(xs[0]!) : (xs as number[]);
  }

  number(key: string, fallback: number): number {
    const v = this.get(key);
    return v?.kind === 'number' ? v.value : fallback;
  }

  flag(key: string, fallback: boolean): boolean {
    const v = this.get(key);
    return v?.kind === 'bool' ? v.value : fallback;
  }

  text(key: string, fallback: string): string {
    return str(this.get(key)) ?? fallback;
  }

  /** channels_last is the only layout cnnc has. */
  channelsLast(): boolean {
    const f = this.text('data_format', 'channels_last');
    if (f === 'channels_last') return true;
    this.cannot(
      'data_format',
      `data_format ${f}: cnnc tensors are channels-last`,
      'export the model with data_format channels_last',
    );
    return false;
  }
}

/** A number as the .cnn text writes it: at most 12 significant digits. */
export function fmt(x: number): string {
  return String(Number(x.toPrecision(12)));
}
