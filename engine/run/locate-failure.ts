/**
 * A run-time failure that a configuration setting caused (a mapping that names a column the file
 * does not have) is reported at that setting: `pipelines/accounts.yaml:31:5`, as `validate` would.
 * The pipeline file is read again at failure time; when it cannot be (moved, edited since), the
 * error simply goes without a location.
 */
import { readFile } from 'node:fs/promises';
import type { Pipeline } from '../config/model.js';
import { locatePointer } from '../config/locate-pointer.js';
import { parseYamlFile } from '../config/parse-yaml-file.js';
import { isFerryError } from '../errors/ferry-error.js';

export async function locateFailure(error: unknown, pipeline: Pipeline): Promise<string | undefined> {
  if (!isFerryError(error) || error.context.config === undefined || pipeline.origin.path === undefined) {
    return undefined;
  }
  const text = await readFile(pipeline.origin.path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const parsed = parseYamlFile({ path: pipeline.origin.file, text });
  if (!parsed.doc) return undefined;
  const at = locatePointer(
    parsed.doc,
    parsed.lineCounter,
    pipeline.origin.file,
    pipeline.origin.pointer + error.context.config,
    error.context.configKey === true ? 'key' : 'value',
  );
  return `${at.file}:${at.line}:${at.col}`;
}
