/**
 * What `cnnc diff --git` asks git (through child_process, with argument arrays: no shell, so paths
 * with spaces or quotes pass as they are): the repository, the two revisions, the .cnn files that
 * differ between them, and a Host that reads files as they were at a revision, so that a file's
 * imports resolve at the same revision as the file.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import type { Host } from '../program.js';
import { UsageError } from './args.js';

/** git's empty tree: the "before" of a repository's first commit. */
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

function git(cwd: string, args: readonly string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** git's own message from a failed call, one line. */
function gitError(e: unknown): string {
  const err = e as { stderr?: string | Buffer; code?: string; message?: string };
  if (err.code === 'ENOENT') return 'git is not installed';
  const text = String(err.stderr ?? err.message ?? e).trim();
  return text.split('\n')[0] || 'git failed';
}

/** The repository's top folder, or a usage error outside a repository. */
export function repositoryRoot(cwd: string): string {
  try {
    return git(cwd, ['rev-parse', '--show-toplevel']).trim();
  } catch (e) {
    throw new UsageError(`--git: ${cwd} is not inside a git repository (${gitError(e)})`);
  }
}

export interface Revision {
  /** What git is given: a commit id, or the empty tree. */
  readonly rev: string;
  /** How reports name it. */
  readonly label: string;
}

/**
 * `REV`: the commit's own change (REV^ → REV; the first commit starts from nothing). `A..B`: A →
 * B. `A...B`: from the merge base of A and B to B, as a pull request shows it.
 */
export function revisionPair(root: string, spec: string): { before: Revision; after: Revision } {
  const commit = (rev: string) => {
    try {
      return git(root, [
        'rev-parse',
        '--verify',
        '--quiet',
        '--end-of-options',
        `${rev}^{commit}`,
      ]).trim();
    } catch {
      throw new UsageError(`--git: unknown revision ${JSON.stringify(rev)}`);
    }
  };
  const three = spec.indexOf('...');
  const two = spec.indexOf('..');
  if (three > 0 && three === spec.length - 3)
    throw new UsageError(`--git: ${spec} names no second revision`);
  if (three > 0) {
    const [a, b] = [spec.slice(0, three), spec.slice(three + 3)];
    const [ca, cb] = [commit(a), commit(b)];
    let base: string;
    try {
      base = git(root, ['merge-base', ca, cb]).trim();
    } catch (e) {
      throw new UsageError(`--git: ${a} and ${b} have no merge base (${gitError(e)})`);
    }
    return {
      before: { rev: base, label: `${base.slice(0, 12)} (merge base)` },
      after: { rev: cb, label: b },
    };
  }
  if (two > 0) {
    const [a, b] = [spec.slice(0, two), spec.slice(two + 2)];
    if (b === '') throw new UsageError(`--git: ${spec} names no second revision`);
    return { before: { rev: commit(a), label: a }, after: { rev: commit(b), label: b } };
  }
  const after = commit(spec);
  let parent: string;
  try {
    parent = git(root, ['rev-parse', '--verify', '--quiet', `${after}^`]).trim();
  } catch {
    parent = EMPTY_TREE;
  }
  return {
    before: { rev: parent, label: parent === EMPTY_TREE ? '(nothing)' : `${spec}^` },
    after: { rev: after, label: spec },
  };
}

export interface ChangedFile {
  readonly change: 'added' | 'deleted' | 'modified' | 'renamed';
  /** Repository-relative paths, with `/`; null on the side where the file does not exist. */
  readonly before: string | null;
  readonly after: string | null;
}

/** The .cnn files that differ between two revisions (renames followed), in git's order. */
export function changedCnnFiles(root: string, before: Revision, after: Revision): ChangedFile[] {
  let out: string;
  try {
    out = git(root, [
      'diff',
      '--name-status',
      '-z',
      '-M',
      '--no-ext-diff',
      before.rev,
      after.rev,
      '--',
    ]);
  } catch (e) {
    throw new UsageError(`--git: ${gitError(e)}`);
  }
  const fields = out.split('\0');
  const files: ChangedFile[] = [];
  for (let i = 0; i < fields.length && fields[i] !== '';) {
    const status = fields[i++];
    const cnn = (p: string | null) => p !== null && p.endsWith('.cnn');
    if (status.startsWith('R') || status.startsWith('C')) {
      const [from, to] = [fields[i++], fields[i++]];
      if (status.startsWith('C')) {
        if (cnn(to)) files.push({ change: 'added', before: null, after: to });
      } else if (cnn(from) && cnn(to)) files.push({ change: 'renamed', before: from, after: to });
      else if (cnn(from)) files.push({ change: 'deleted', before: from, after: null });
      else if (cnn(to)) files.push({ change: 'added', before: null, after: to });
      continue;
    }
    const file = fields[i++];
    if (!cnn(file)) continue;
    if (status === 'A') files.push({ change: 'added', before: null, after: file });
    else if (status === 'D') files.push({ change: 'deleted', before: file, after: null });
    else files.push({ change: 'modified', before: file, after: file });
  }
  return files;
}

/**
 * A Host that reads the repository's files as they are at `rev` and shows them as `label:path` in
 * diagnostics. Files git does not track (the stdlib under node_modules, ignored files) and files
 * outside the repository are the same at every revision, so they come from the disk through `disk`.
 */
export function revisionHost(root: string, rev: Revision, disk: Host): Host {
  /** The path inside the repository, or null for a file outside it (read from the disk). */
  const inRepo = (abs: string): string | null => {
    const rel = path.relative(root, abs);
    return rel === '' || rel.startsWith('..') || path.isAbsolute(rel)
      ? null
      : rel.split(path.sep).join('/');
  };
  return {
    stdlibDir: disk.stdlibDir,
    stdlibModules: () => disk.stdlibModules(),
    displayPath: (abs) => `${rev.label}:${disk.displayPath(abs)}`,
    projectRoot: (entry) => disk.projectRoot(entry),
    inspect(abs) {
      const rel = inRepo(abs);
      if (rel === null) return disk.inspect(abs);
      // `git ls-tree` gives the entry's mode at the revision: a blob (100644/100755), a tree, or a
      // symbolic link (120000), which is refused like a device rather than followed at that revision.
      let entry: string;
      try {
        entry = git(root, ['ls-tree', '-z', rev.rev, '--', rel]);
      } catch {
        entry = '';
      }
      if (entry === '') return ignored(root, rel) ? disk.inspect(abs) : undefined;
      const mode = entry.split(' ')[0];
      const kind = mode === '040000' ? 'directory' : mode.startsWith('100') ? 'file' : 'other';
      return { canonical: abs, kind };
    },
    readFile(abs) {
      const rel = inRepo(abs);
      if (rel === null) return disk.readFile(abs);
      try {
        return git(root, ['cat-file', 'blob', `${rev.rev}:${rel}`]);
      } catch {
        return ignored(root, rel) ? disk.readFile(abs) : undefined;
      }
    },
  };
}

function ignored(root: string, rel: string): boolean {
  try {
    git(root, ['check-ignore', '--quiet', '--no-index', '--', rel]);
    return true;
  } catch {
    return false;
  }
}
