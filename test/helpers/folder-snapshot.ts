/** A folder's files and their bytes, to check that a command left a folder as it was. */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Every file under dir (sub-folders too), by its path relative to dir, with its bytes. */
export function folderSnapshot(dir: string): Map<string, Buffer> {
  const names = (fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[]).sort();
  return new Map(
    names
      .filter((f) => fs.lstatSync(path.join(dir, f)).isFile())
      .map((f) => [f, fs.readFileSync(path.join(dir, f))]),
  );
}
