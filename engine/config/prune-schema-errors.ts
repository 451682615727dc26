/**
 * ajv reports every failing branch of a `oneOf`, every alternative of an `anyOf`, and a summary on
 * top; printing them all buries the one that matters. This keeps the errors a person can act on:
 * one problem per mistake, at the most specific place. Pure: ajv errors in, ajv errors out (with
 * a few ferry annotations in `params`, read by validate-against-schema.ts).
 */
import type { ErrorObject } from 'ajv';
import { suggest } from './suggest.js';
import type { JsonSchema } from './config-schemas.js';

/** Annotations added to `params` by pruning. */
export interface PruneAnnotations {
  /** On an anyOf/oneOf error whose alternatives are all "has key X": the keys to choose from. */
  missingOneOf?: string[];
  /** On an unknown-key error whose likely intended key is required and missing: that key. */
  typoOfRequired?: string;
}

export interface PruneOptions {
  /** True for values whose `${…}` reference did not resolve: already reported, so not checked again. */
  isUnresolved?: (instancePath: string) => boolean;
}

export function isUnder(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(prefix + '/');
}

const isSummary = (e: ErrorObject) => e.keyword === 'oneOf' || e.keyword === 'anyOf';

export function pruneSchemaErrors(errors: readonly ErrorObject[], options: PruneOptions = {}): ErrorObject[] {
  let kept = errors.map((e) => ({ ...e, params: { ...e.params } }));

  // A `${…}` that did not resolve is reported once by interpolation, not again as a bad pattern.
  const unresolved = options.isUnresolved;
  if (unresolved) kept = kept.filter((e) => e.keyword === 'x-ferry-secret' || !unresolved(e.instancePath));

  // Nothing beneath a key that is not supported yet.
  const planned = kept.filter((e) => e.keyword === 'x-ferry-status').map((e) => e.instancePath);
  kept = kept.filter(
    (e) => e.keyword === 'x-ferry-status' || !planned.some((p) => isUnder(e.instancePath, p)),
  );

  // A secret field holding a literal: one problem, not also a pattern mismatch.
  const secrets = kept.filter((e) => e.keyword === 'x-ferry-secret').map((e) => e.instancePath);
  kept = kept.filter((e) => e.keyword === 'x-ferry-secret' || !secrets.includes(e.instancePath));

  // `if` errors only point at the `then` branch errors that follow them.
  kept = kept.filter((e) => e.keyword !== 'if');

  // A bad map key: the inner error (which knows the pattern) is reported at the key; the
  // "property name must be valid" summary adds nothing.
  kept = kept.filter(
    (e) =>
      e.keyword !== 'propertyNames' ||
      !kept.some((o) => o.propertyName !== undefined && o.instancePath === e.instancePath),
  );

  // A union branch whose type did not match says nothing about the value: `format: {kind: csv, …}`
  // must not also hear that the string form allows only "csv", "json", ….
  // (Branches are recognised by schema identity: ajv's schemaPath is relative to the nearest $ref.)
  const mismatchedBranches = kept.filter(
    (e) => e.keyword === 'type' && /\/(?:oneOf|anyOf)\/\d+\/type$/.test(e.schemaPath),
  );
  kept = kept.filter(
    (e) =>
      e.keyword === 'type' ||
      !mismatchedBranches.some((b) => b.instancePath === e.instancePath && b.parentSchema === e.parentSchema),
  );

  // "Has one of these keys" alternatives (schedule: cron | every | …): one problem naming them all.
  for (const summary of kept.filter(isSummary)) {
    const alternatives: unknown[] = Array.isArray(summary.schema) ? summary.schema : [];
    const branches = kept.filter((e) => e !== summary && alternatives.includes(e.parentSchema));
    if (
      branches.length > 0 &&
      branches.every((e) => e.keyword === 'required' && e.instancePath === summary.instancePath)
    ) {
      summary.params['missingOneOf'] = branches.map((e) => String(e.params['missingProperty']));
      kept = kept.filter((e) => !branches.includes(e));
    }
  }

  // oneOf/anyOf summaries give way to anything more specific at or below them.
  const specific = (e: ErrorObject) => !isSummary(e);
  kept = kept.filter(
    (e) =>
      specific(e) ||
      e.params['missingOneOf'] !== undefined ||
      !kept.some((o) => specific(o) && isUnder(o.instancePath, e.instancePath)),
  );

  // A type mismatch gives way to errors inside the value (the other branch of a union matched its type).
  kept = kept.filter(
    (e) =>
      e.keyword !== 'type' ||
      !kept.some(
        (o) => o !== e && o.keyword !== 'type' && specific(o) && isUnder(o.instancePath, e.instancePath),
      ),
  );

  // A typo of a required key: "unknown key bucekt (did you mean bucket?)" says it all; "missing
  // required key bucket" would be the same mistake twice.
  for (const unknown of kept.filter((e) => e.keyword === 'additionalProperties')) {
    const properties = (unknown.parentSchema as JsonSchema | undefined)?.['properties'];
    const allowed = Object.keys((properties as Record<string, unknown> | undefined) ?? {});
    const guess = suggest(String(unknown.params['additionalProperty']), allowed);
    const missing = kept.find(
      (e) =>
        e.keyword === 'required' &&
        e.instancePath === unknown.instancePath &&
        e.params['missingProperty'] === guess,
    );
    if (guess !== undefined && missing) {
      unknown.params['typoOfRequired'] = guess;
      kept = kept.filter((e) => e !== missing);
    }
  }

  // Several type errors at one place (union of types) become one; identical errors (the same
  // `not` reached through two `dependencies`) are reported once.
  const seen = new Set<string>();
  const out: ErrorObject[] = [];
  for (const e of kept) {
    const id =
      e.keyword === 'type'
        ? `type:${e.instancePath}`
        : `${e.keyword}:${e.instancePath}:${e.propertyName ?? ''}:${JSON.stringify(e.params)}`;
    if (seen.has(id)) {
      if (e.keyword === 'type') {
        const first = out.find((o) => o.keyword === 'type' && o.instancePath === e.instancePath);
        if (first) first.params = { type: `${String(first.params['type'])} or ${String(e.params['type'])}` };
      }
      continue;
    }
    seen.add(id);
    out.push(e);
  }
  return out;
}
