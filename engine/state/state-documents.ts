/**
 * Every JSON document ferry reads back from state is checked against a schema before it is used: a
 * file changed or damaged outside ferry gives a coded error naming the file and the way out, never a
 * crash deep in a run and never a silent reset to "empty".
 */
import { createRequire } from 'node:module';
import type * as AjvModule from 'ajv';
import type { Ajv, ValidateFunction } from 'ajv';
import { FerryError } from '../errors/ferry-error.js';
import {
  STATE_DOCUMENT_SCHEMAS,
  STATE_VALIDATOR_AJV_OPTIONS,
  stateSchemasFingerprint,
  type StateDocumentKind,
} from './state-document-schemas.js';
import { SCHEMAS_FINGERPRINT, STATE_DOCUMENT_VALIDATORS } from './state-document-validators.gen.js';

export type { StateDocumentKind } from './state-document-schemas.js';

// ajv is loaded only when a schema changed since its validator was generated: parsing is
// synchronous, and loading ajv and compiling a schema cost more than the rest of reading state.
const require = createRequire(import.meta.url);
let ajv: Ajv | undefined;
let generatedAreCurrent: boolean | undefined;
const validators = new Map<StateDocumentKind, ValidateFunction>();

/**
 * The generated validator of a kind (state-document-validators.gen.ts), or the schema compiled here
 * when the schemas changed since it was generated: a stale file can slow ferry down, never change
 * what it accepts (`npm run gen:types` regenerates it; CI checks it is current).
 */
export function validatorFor(
  kind: StateDocumentKind,
  options: { generated?: boolean } = {},
): ValidateFunction {
  const useGenerated = options.generated !== false;
  let validate = useGenerated ? validators.get(kind) : undefined;
  if (validate) return validate;
  generatedAreCurrent ??= SCHEMAS_FINGERPRINT === stateSchemasFingerprint();
  validate = useGenerated && generatedAreCurrent ? STATE_DOCUMENT_VALIDATORS[kind] : undefined;
  if (validate === undefined) {
    const { Ajv: AjvClass } = require('ajv') as typeof AjvModule;
    ajv ??= new AjvClass({ ...STATE_VALIDATOR_AJV_OPTIONS });
    validate = ajv.compile(STATE_DOCUMENT_SCHEMAS[kind]);
  }
  if (useGenerated) validators.set(kind, validate);
  return validate;
}

/**
 * Parses and checks one state document. `where` names it for the message (`state/pipelines/a/state.json`);
 * `hint` says what to do when it is damaged.
 */
export function parseStateDocument<T>(
  kind: StateDocumentKind,
  data: Buffer,
  options: { where: string; hint: string; context?: { pipeline?: string; dataset?: string } },
): T {
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch (error) {
    throw new FerryError('STATE_CORRUPT', `The ${kind} ${options.where} is not valid JSON.`, {
      cause: error,
      context: { file: options.where, ...options.context },
      hint: options.hint,
    });
  }
  const validate = validatorFor(kind);
  if (!validate(value)) {
    const [first] = validate.errors ?? [];
    const at = first ? `${first.instancePath || '/'} ${first.message ?? 'is invalid'}` : 'is invalid';
    throw new FerryError('STATE_CORRUPT', `The ${kind} ${options.where} is damaged: ${at}.`, {
      context: { file: options.where, ...options.context },
      hint: options.hint,
    });
  }
  return value as T;
}
