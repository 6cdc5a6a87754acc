import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO } from '../helpers/memory-host.js';

/** The fuzz corpus: every stdlib and example file, by display path. */
export function corpus(): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  for (const dir of ['stdlib', 'examples']) {
    for (const f of fs.readdirSync(path.join(REPO, dir)).sort()) {
      if (f.endsWith('.cnn'))
        out.push({ name: `${dir}/${f}`, text: fs.readFileSync(path.join(REPO, dir, f), 'utf8') });
    }
  }
  return out;
}
