/**
 * The pretrained MobileNetV2 inside the nsfwjs npm package (4.4.0, MIT), loaded without running its
 * code. nsfwjs ships each TensorFlow.js file as a browserify bundle:
 *
 *   dist/models/mobilenet_v2/model.min.js            `…a.exports={modelTopology:{…},weightsManifest:[…]}…`
 *   dist/models/mobilenet_v2/group1-shard1of1.min.js `…a.exports="<base64 of the shard's bytes>"…`
 *
 * The object is a JavaScript literal (unquoted keys, `!1` for false, `.5`), so it is read with
 * compiler/import's literal reader, which accepts literals only and evaluates nothing. The weights
 * are uint8-quantised (`quantization: {min, scale, dtype: "uint8"}`) and decode to float32 with
 * runtime/weights' TensorFlow.js reader. The package's `exports` field blocks deep imports, so the
 * files are found from the package root.
 *
 * The layer names are Keras's, which are the names of stdlib/mobilenet.cnn and of
 * examples/transfer/mobilenet_v2.cnn (made by `cnnc import keras` from this model.json), so the
 * weights come out keyed by cnnc names `${node}/${weight}`.
 *
 *   node dist/examples/transfer/load-nsfwjs.js OUT_DIR   writes OUT_DIR/model.json + shards (cnnc names)
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  importKeras,
  parseLiteralAt,
  toPlain,
  type KerasImport,
} from '../../compiler/import/index.js';
import { writeWeightsFile } from '../../runtime/weights/files.js';
import type { NamedTensor } from '../../runtime/weights/tensor.js';
import { decodeTfjsWeights, manifestOf } from '../../runtime/weights/tfjs-format.js';

export const NSFWJS_VARIANT = 'mobilenet_v2';

/** A bundle that does not hold what this loader expects (another nsfwjs version?). */
export class NsfwjsError extends Error {
  override readonly name = 'NsfwjsError';
}

/** The nsfwjs package folder, found from its main entry (deep imports are blocked). */
export function nsfwjsRoot(from: string = import.meta.url): string {
  let dir: string;
  try {
    dir = path.dirname(createRequire(from).resolve('nsfwjs'));
  } catch {
    throw new NsfwjsError(
      'the nsfwjs package is not installed (npm install --save-dev nsfwjs@4.4.0)',
    );
  }
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (
      fs.existsSync(pkg) &&
      (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'nsfwjs'
    )
      return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new NsfwjsError('cannot find the nsfwjs package folder');
    dir = up;
  }
}

/** The value assigned by the bundle's `….exports=`, which starts with `open` (`{` or `"`). */
function exportedLiteral(file: string, open: string): unknown {
  const text = fs.readFileSync(file, 'utf8');
  const at = text.indexOf(`.exports=${open}`);
  if (at < 0) throw new NsfwjsError(`${file}: no \`.exports=${open}…\` in the bundle`);
  return toPlain(parseLiteralAt(text, file, at + '.exports='.length).value);
}

export interface NsfwjsModel {
  /** model.json as TensorFlow.js writes it: modelTopology and weightsManifest. */
  readonly modelJson: { readonly modelTopology: unknown; readonly weightsManifest: unknown };
  /** Each shard's bytes by its manifest path (`group1-shard1of1`). */
  readonly shards: ReadonlyMap<string, Uint8Array>;
}

/** The model.json object of an nsfwjs model (`mobilenet_v2`, `inception_v3`), without weights. */
export function readNsfwjsModelJson(
  variant = NSFWJS_VARIANT,
  root = nsfwjsRoot(),
): NsfwjsModel['modelJson'] {
  const file = path.join(root, 'dist', 'models', variant, 'model.min.js');
  return exportedLiteral(file, '{') as NsfwjsModel['modelJson'];
}

/** Reads nsfwjs's model.min.js and shard bundles into a plain TensorFlow.js layers model. */
export function readNsfwjsModel(variant = NSFWJS_VARIANT, root = nsfwjsRoot()): NsfwjsModel {
  const dir = path.join(root, 'dist', 'models', variant);
  const modelJson = readNsfwjsModelJson(variant, root);
  const shards = new Map<string, Uint8Array>();
  for (const group of manifestOf(modelJson, `${variant}/model.min.js`))
    for (const p of group.paths) {
      const b64 = exportedLiteral(path.join(dir, `${p}.min.js`), '"');
      if (typeof b64 !== 'string') throw new NsfwjsError(`${p}.min.js: the export is not a string`);
      shards.set(p, new Uint8Array(Buffer.from(b64, 'base64')));
    }
  return { modelJson, shards };
}

/**
 * Writes the model as an ordinary TensorFlow.js layers model (model.json + `<path>.bin` shards),
 * which `cnnc import keras DIR/model.json` reads.
 */
export function writeTfjsLayersModel(model: NsfwjsModel, dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const manifest = manifestOf(model.modelJson, 'model.json').map((g) => ({
    ...g,
    paths: g.paths.map((p) => `${p}.bin`),
  }));
  const json = { format: 'layers-model', ...model.modelJson, weightsManifest: manifest };
  fs.writeFileSync(path.join(dir, 'model.json'), `${JSON.stringify(json)}\n`);
  for (const [p, bytes] of model.shards) fs.writeFileSync(path.join(dir, `${p}.bin`), bytes);
}

export interface LoadedWeights {
  /** cnnc name (`${node}/${weight}`) → shape and float32 values, in graph order. */
  readonly weights: Map<string, { readonly shape: readonly number[]; readonly data: Float32Array }>;
  /** The import of the topology: the .cnn text, name maps and compiled graph. */
  readonly imported: KerasImport;
}

/** The nsfwjs MobileNetV2's weights, dequantised, keyed by cnnc names. */
export function loadNsfwjsWeights(model: NsfwjsModel = readNsfwjsModel()): LoadedWeights {
  const text = JSON.stringify(model.modelJson);
  const imported = importKeras(text, {
    file: 'model.json',
    cnnFile: 'mobilenet_v2.cnn',
    name: 'MobileNetV2',
  });
  const errors = imported.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length)
    throw new NsfwjsError(
      `the nsfwjs topology does not import: ${errors.map((d) => `${d.code} ${d.message}`).join('; ')}`,
    );
  const tensors = decodeTfjsWeights(
    manifestOf(model.modelJson, 'model.json'),
    (p) => model.shards.get(p) ?? new Uint8Array(0),
    `nsfwjs ${NSFWJS_VARIANT}`,
  );
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const weights: LoadedWeights['weights'] = new Map();
  for (const link of imported.weights) {
    const t = link.keras === null ? undefined : byName.get(link.keras);
    if (t) weights.set(link.name, { shape: link.shape, data: t.data });
    else if (link.fill !== null) {
      const n = link.shape.reduce((a, b) => a * b, 1);
      weights.set(link.name, { shape: link.shape, data: new Float32Array(n).fill(link.fill) });
    }
  }
  return { weights, imported };
}

/** Writes weights as a TensorFlow.js weights folder (model.json + shards) under cnnc names. */
export function writeWeightsDir(weights: LoadedWeights['weights'], dir: string): void {
  const tensors: NamedTensor[] = [...weights].map(([name, w]) => ({ name, ...w }));
  writeWeightsFile(dir, tensors);
}

const invoked = process.argv[1] && path.resolve(process.argv[1]);
if (invoked && invoked === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) {
    process.stderr.write('usage: node load-nsfwjs.js OUT_DIR\n');
    process.exitCode = 2;
  } else {
    const { weights } = loadNsfwjsWeights();
    writeWeightsDir(weights, out);
    process.stdout.write(`wrote ${weights.size} tensors of nsfwjs's MobileNetV2 to ${out}\n`);
  }
}
