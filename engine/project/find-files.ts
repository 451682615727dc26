/**
 * Finds files by glob (tinyglobby: `*`, `**`, `?`, `{a,b}`, `[ab]`, extglobs) relative to the project
 * directory, in a stable (sorted) order. Hidden files and directories and node_modules are skipped.
 * Symbolic links are followed, and a file reached twice (a link loop, a linked directory) is listed
 * once, under its first path.
 */
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import picomatch from 'picomatch';
import { globSync } from 'tinyglobby';

const GLOB_OPTIONS = {
  dot: false,
  onlyFiles: true,
  // `pipelines` must not quietly mean `pipelines/**`: a pattern says which files it means.
  expandDirectories: false,
  followSymbolicLinks: true,
  ignore: ['**/node_modules/**'],
} as const;

export interface GlobMatch {
  glob: string;
  /** Paths relative to root, with `/`, sorted. */
  files: string[];
}

/** Each glob with the files it matches under `root` (a glob may match nothing). */
export function matchGlobs(root: string, globs: readonly string[]): GlobMatch[] {
  return globs.map((glob) => ({
    glob,
    files: uniqueFiles(root, globSync([glob], { ...GLOB_OPTIONS, cwd: root })),
  }));
}

/** Sorted, and a file reached by several paths (links, overlapping globs) once, under its first. */
export function uniqueFiles(root: string, files: readonly string[]): string[] {
  const seen = new Set<string>();
  return [...files].sort().filter((file) => {
    const real = realPath(join(root, file));
    if (seen.has(real)) return false;
    seen.add(real);
    return true;
  });
}

/** Files under `root` matching any of the globs, as paths relative to root, sorted, unique. */
export function findFiles(root: string, globs: readonly string[]): string[] {
  return uniqueFiles(
    root,
    matchGlobs(root, globs).flatMap((m) => m.files),
  );
}

/** A matcher for one glob against whole (absolute or relative) paths, with the same language as above. */
export function globToRegExp(glob: string): RegExp {
  return picomatch.makeRe(glob, { dot: false });
}

export const YAML_FILE = /\.ya?ml$/;

/** All YAML files in a directory tree, relative to it, sorted. */
export function findYamlFiles(dir: string): string[] {
  return findFiles(dir, ['**/*.yaml', '**/*.yml']);
}

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path; // vanished since the listing: let the reader report it
  }
}
