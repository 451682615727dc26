/**
 * Reads a saved plan (`ferry plan --out FILE`) back into the Plan model for `apply --plan FILE`:
 * JSON, this ferry's format_version, then schemas/plan.schema.json, then snake_case → camelCase
 * keys and dates revived. A file that is not that gives one clear PLAN_UNREADABLE naming the file,
 * what is wrong and where, and what to do; never a crash and never a half-read plan.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { LineCounter, parseDocument } from 'yaml';
import { locatePointer } from '../config/locate-pointer.js';
import { FerryError } from '../errors/ferry-error.js';
import { FERRY_VERSION } from '../ferry-version.js';
import { PLAN_FORMAT_VERSION, type Plan } from '../plan/plan-model.js';
import { camelCaseKeys } from './plan-json-keys.js';

// ajv-formats is published as CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

let validator: ValidateFunction | undefined;

/** The plan schema ships with the package: schemas/ is two levels above engine/report and dist/report. */
function planValidator(): ValidateFunction {
  if (!validator) {
    const schema = JSON.parse(
      readFileSync(new URL('../../schemas/plan.schema.json', import.meta.url), 'utf8'),
    ) as Record<string, unknown>;
    const ajv = new Ajv({ strict: true, allErrors: false, allowUnionTypes: true });
    addFormats(ajv);
    validator = ajv.compile(schema);
  }
  return validator;
}

const AGAIN = `Make the plan again with \`ferry plan --out FILE\` (this is ferry ${FERRY_VERSION}), review it, and apply that file.`;

function unreadable(file: string, what: string, cause?: unknown, at?: Position): FerryError {
  const where = at ? `${file}:${at.line}:${at.col}` : file;
  return new FerryError('PLAN_UNREADABLE', `Cannot use the saved plan ${where}: ${what}.`, {
    context: { file, ...(at ? { line: at.line, col: at.col } : {}) },
    hint: AGAIN,
    ...(cause === undefined ? {} : { cause }),
  });
}

interface Position {
  line: number;
  col: number;
}

/** Line and column (1-based) of a character offset. */
function positionOf(text: string, offset: number): Position {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, col: (lines[lines.length - 1]?.length ?? 0) + 1 };
}

/** Where JSON.parse stopped, when V8 says: an offset, or the end (it ended early); else unknown. */
function syntaxErrorPosition(text: string, error: unknown): Position | undefined {
  const message = error instanceof Error ? error.message : '';
  const offset = /at position (\d+)/.exec(message)?.[1];
  if (offset !== undefined) return positionOf(text, Number(offset));
  return /end of JSON input/.test(message) ? positionOf(text, text.length) : undefined;
}

/** Line and column of a JSON pointer into the text (JSON is YAML, so the YAML locator finds it). */
function pointerPosition(text: string, pointer: string): Position {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const at = locatePointer(doc, lineCounter, '', pointer);
  return { line: at.line, col: at.col };
}

/** The first schema error in words: where (a path in the file) and what. */
function describeSchemaError(error: ErrorObject | undefined): string {
  if (!error) return 'it does not match the plan format';
  const where = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part, i) => (/^\d+$/.test(part) ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join('');
  const what =
    error.keyword === 'required'
      ? `lacks "${String(error.params['missingProperty'])}"`
      : (error.message ?? 'is not valid');
  return `${where === '' ? 'the file' : where} ${what} (it is damaged, or was edited or written by another tool)`;
}

/**
 * Parse a saved plan. `file` names it in messages (as the user gave it). Throws FerryError
 * PLAN_UNREADABLE for anything but a plan this ferry wrote in its format.
 */
export function parsePlanJson(text: string, file: string): Plan {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw unreadable(
      file,
      `it is not JSON (${error instanceof Error ? error.message : String(error)})`,
      error,
      syntaxErrorPosition(text, error),
    );
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw unreadable(file, 'it is not a ferry plan (not a JSON object)');
  }
  const version = (data as Record<string, unknown>)['format_version'];
  if (version === undefined) throw unreadable(file, 'it is not a ferry plan (no format_version)');
  if (version !== PLAN_FORMAT_VERSION) {
    const writer = (data as Record<string, unknown>)['ferry_version'];
    throw unreadable(
      file,
      `it is in plan format ${JSON.stringify(version)}${typeof writer === 'string' ? ` (ferry ${writer})` : ''}, and this ferry reads format ${PLAN_FORMAT_VERSION}`,
      undefined,
      pointerPosition(text, '/format_version'),
    );
  }
  const validate = planValidator();
  if (!validate(data)) {
    const first = validate.errors?.[0];
    throw unreadable(
      file,
      describeSchemaError(first),
      undefined,
      pointerPosition(text, first?.instancePath ?? ''),
    );
  }
  const model = camelCaseKeys(data) as Record<string, unknown> & Plan;
  for (const pipeline of model.pipelines) {
    for (const candidate of pipeline.selection.selected) {
      // JSON has no dates: the schema checked these are RFC 3339 text.
      const { lastModified, timestamp } = candidate as unknown as {
        lastModified: string;
        timestamp?: string;
      };
      candidate.lastModified = new Date(lastModified);
      if (timestamp !== undefined) candidate.timestamp = new Date(timestamp);
    }
  }
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    createdAt: model.createdAt,
    project: model.project,
    pipelines: model.pipelines,
  };
}
