/**
 * io.ts of an emitted TensorFlow.js project: file:// save and load handlers for model.save and
 * tf.loadLayersModel in Node without @tensorflow/tfjs-node, and what a save interrupted between
 * its two renames leaves (names and notes from compiler/train/run-folder-text.ts, cnnc train's).
 */
import { INTERRUPTED_SAVE, RUN_FOLDER_TEXT } from '../../train/run-folder-text.js';
import { tsString } from '../ts-text.js';

export const IO_TS = String.raw`/**
 * 'file://' for model.save and tf.loadLayersModel in Node without @tensorflow/tfjs-node (which
 * registers its own): model.save('file://runs/m') writes runs/m/model.json (the topology and the
 * weights manifest) and runs/m/weights.bin, atomically (into a temporary folder, then renamed),
 * and tf.loadLayersModel('file://runs/m/model.json') reads them back, once useFileScheme() has
 * registered the handlers.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';

const SCHEME = 'file://';

/**
 * What a save of a run folder's checkpoint leaves beside it when its process dies between the two
 * renames (.checkpoint.tmp-PID, .checkpoint.old-PID), and the notes about it, with {fields}
 * that fillText fills: cnnc train's own.
 */
export const LEFT_BY_SAVE = new RegExp(${tsString(INTERRUPTED_SAVE)});
export const SAVE_NOTES = {
  recovered: ${tsString(RUN_FOLDER_TEXT.recovered)},
  recoveredWithoutEpoch: ${tsString(RUN_FOLDER_TEXT.recoveredWithoutEpoch)},
  leftInPlace: ${tsString(RUN_FOLDER_TEXT.leftInPlace)},
  interrupted: ${tsString(RUN_FOLDER_TEXT.interrupted)},
};

/** A note of SAVE_NOTES with its {fields} filled. */
export function fillText(template: string, fields: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => String(fields[k]));
}

function toPath(url: string): string {
  return url.startsWith('file:///') ? fileURLToPath(url) : url.slice(SCHEME.length);
}

/** Saves to a folder: model.json and weights.bin. */
function saveHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const weights = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.concatenateArrayBuffers(artifacts.weightData);
      const json = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        trainingConfig: artifacts.trainingConfig,
        userDefinedMetadata: artifacts.userDefinedMetadata,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      const parent = path.dirname(path.resolve(dir));
      const tmp = path.join(parent, '.' + path.basename(dir) + '.tmp-' + process.pid);
      const old = path.join(parent, '.' + path.basename(dir) + '.old-' + process.pid);
      fs.mkdirSync(parent, { recursive: true });
      fs.rmSync(tmp, { recursive: true, force: true });
      fs.mkdirSync(tmp);
      fs.writeFileSync(path.join(tmp, 'model.json'), JSON.stringify(json));
      fs.writeFileSync(path.join(tmp, 'weights.bin'), Buffer.from(weights));
      const existed = fs.existsSync(dir);
      if (existed) fs.renameSync(dir, old);
      fs.renameSync(tmp, dir);
      if (existed) fs.rmSync(old, { recursive: true, force: true });
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  };
}

/** Loads a model.json and the shards beside it (plain file names only). */
function loadHandler(file: string): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const json = JSON.parse(fs.readFileSync(file, 'utf8')) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: Buffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) {
            if (p === '' || p === '.' || p === '..' || /[\\/\0]/.test(p))
              throw new Error(file + ': shard path ' + JSON.stringify(p) + ' is not a file name in its folder');
            buffers.push(fs.readFileSync(path.join(path.dirname(file), p)));
          }
        }
        const all = Buffer.concat(buffers);
        return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength)];
      });
    },
  };
}

/** What a router returns for a URL it does not handle (tfjs's own return null; its type says IOHandler). */
const NOT_MINE = null as unknown as tf.io.IOHandler;

/**
 * Registers the file:// handlers, unless some are there already (@tensorflow/tfjs-node's, once
 * the tensorflow backend is loaded, or another project's): call it after choosing the backend.
 */
export function useFileScheme(): void {
  const probe = SCHEME + path.resolve('.');
  if (tf.io.getSaveHandlers(probe).length === 0)
    tf.io.registerSaveRouter((url) => {
      const u = Array.isArray(url) ? url[0] : url;
      return u.startsWith(SCHEME) ? saveHandler(toPath(u)) : NOT_MINE;
    });
  if (tf.io.getLoadHandlers(probe).length === 0)
    tf.io.registerLoadRouter((url) => {
      const u = Array.isArray(url) ? url[0] : url;
      return u.startsWith(SCHEME) ? loadHandler(toPath(u)) : NOT_MINE;
    });
}
`;
