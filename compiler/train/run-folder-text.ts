/**
 * Facts about a run folder that cnnc train (runtime/train/run-folder.ts) and the emitted train.py
 * and train.ts (compiler/codegen/pytorch/train-run-folder-py.ts, compiler/codegen/tfjs/
 * train-body-ts.ts) share: the files of a checkpoint folder, the names of the folders a save
 * leaves behind when its process dies, and the notes about them. The texts are templates with
 * `{name}` fields, which Python's str.format fills as they are and fillText fills in TypeScript.
 */

/** The files of a checkpoint folder: the only ones a run deletes when it replaces one. */
export const CHECKPOINT_FILE_NAMES: readonly string[] = [
  'model.json',
  'weights.bin',
  'optimizer.bin',
  'cnnc.json',
];

/**
 * A checkpoint save writes `.checkpoint.tmp-PID`, renames `checkpoint` to `.checkpoint.old-PID`,
 * renames the new one into place and removes the old one; a process that dies in between leaves
 * them. The pattern's source, for the emitted scripts' own regular expressions.
 */
export const INTERRUPTED_SAVE = String.raw`^\.checkpoint\.(tmp|old)-(\d+)$`;

/** The notes and hints about an interrupted save. */
export const RUN_FOLDER_TEXT = {
  /** A checkpoint put back from `.checkpoint.old-PID` (fields: epoch, name). */
  recovered:
    'recovered the checkpoint of epoch {epoch} from {name}, left by a run that stopped while saving',
  /** The same, for a checkpoint without cnnc.json (train.ts writes none for some models). */
  recoveredWithoutEpoch:
    'recovered the checkpoint in {name} (no cnnc.json), left by a run that stopped while saving',
  /** A leftover folder kept (fields: path, program). */
  leftInPlace: 'left {path} in place: it holds files {program} did not write',
  /** Where a checkpoint was looked for and only a leftover found (fields: name, fix). */
  interrupted: 'a run stopped while saving left {name}: {fix} recovers it',
} as const;

/** A template of RUN_FOLDER_TEXT with its `{field}`s filled. */
export function fillText(
  template: string,
  fields: Readonly<Record<string, string | number>>,
): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => {
    if (!(k in fields)) throw new Error(`no value for {${k}} in "${template}"`);
    return String(fields[k]);
  });
}
