/** Messages between the page and the training worker. */
import type { Graph } from '../../compiler/ir/graph.js';

export type ToWorker =
  /** Start training `graph` afresh (`source` is hashed into the checkpoint). */
  | {
      readonly type: 'start';
      readonly graph: Graph;
      readonly source: string;
      readonly backend?: string;
    }
  | { readonly type: 'stop' }
  | { readonly type: 'resume' }
  /** Reply with a checkpoint zip (`checkpoint`). */
  | { readonly type: 'checkpoint' };

export interface TestDigit {
  /** 28x28 grey levels 0..255. */
  readonly pixels: Uint8Array;
  readonly label: number;
  readonly predicted: number;
}

export type FromWorker =
  | { readonly type: 'ready'; readonly backend: string }
  | {
      readonly type: 'progress';
      readonly step: number;
      readonly epoch: number;
      /** Mean loss and accuracy over the steps since the last progress message. */
      readonly loss: number;
      readonly accuracy: number;
      readonly imagesPerSecond: number;
    }
  | {
      readonly type: 'test';
      readonly step: number;
      readonly accuracy: number;
      readonly loss: number;
      readonly count: number;
      readonly digits: readonly TestDigit[];
    }
  | { readonly type: 'stopped'; readonly step: number }
  | { readonly type: 'checkpoint'; readonly name: string; readonly zip: Uint8Array }
  | { readonly type: 'error'; readonly message: string };
