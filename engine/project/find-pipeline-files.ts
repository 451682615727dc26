/**
 * The pipeline files of a project: ferry.yaml's `pipelines:` globs (or the default
 * `pipelines/*.yaml`). A glob written in ferry.yaml must match at least one file: one that matches
 * nothing (a typo, a moved directory) would otherwise validate as "0 pipelines" and quietly stop
 * those pipelines, so it is an error at the glob's line. The default glob may match nothing: a
 * project can hold only connections and datasets.
 */
import type { CheckedConfigFile } from '../config/check-config-file.js';
import { locatePointer } from '../config/locate-pointer.js';
import type { Problem } from '../errors/problem.js';
import { matchGlobs, uniqueFiles } from './find-files.js';

export function findPipelineFiles(options: {
  /** The project directory (globs are relative to it). */
  root: string;
  globs: readonly string[];
  /** ferry.yaml as read, when the globs are its own `pipelines:` list (undefined for the default). */
  writtenIn: CheckedConfigFile | undefined;
}): { files: string[]; problems: Problem[] } {
  const matches = matchGlobs(options.root, options.globs);
  const problems: Problem[] = [];
  const checked = options.writtenIn;
  matches.forEach((match, index) => {
    if (match.files.length > 0 || !checked) return;
    const pointer = `/pipelines/${index}`;
    problems.push({
      code: 'CONFIG_GLOB_NO_MATCH',
      severity: 'error',
      message: `pipelines: "${match.glob}" matches no file.`,
      ...(checked.doc !== undefined
        ? { at: locatePointer(checked.doc, checked.lineCounter, checked.file.path, pointer, 'value') }
        : {}),
      pointer,
      hint: 'Fix the pattern (relative to ferry.yaml; *, ** and {a,b} work), or remove the line if its pipelines are gone.',
    });
  });
  return {
    files: uniqueFiles(
      options.root,
      matches.flatMap((m) => m.files),
    ),
    problems,
  };
}
