/**
 * Plans, state and messages show a setting that was written with a reference as the reference
 * (`${env:FERRY_BUCKET}`), not the value it resolved to: the value came from the machine, not from
 * the reviewed file. Normalization copies most strings unchanged, so the value is found in the
 * normalized configuration and the reference text put back in its place.
 */
import type { ResolvedReference } from './interpolate-references.js';

/** Shorter values are replaced only where they are the whole string (a 1-char value is everywhere). */
const MIN_FRAGMENT_CHARS = 4;

/** `text` with each resolved value put back as the reference it came from (longest value first). */
export function restoreReferencesInText(text: string, references: readonly ResolvedReference[]): string {
  const usable = references.filter((r) => r.value !== '' && r.value !== r.text);
  const whole = usable.find((r) => r.value === text);
  if (whole) return whole.text;
  const fragments = usable
    .filter((r) => r.value.length >= MIN_FRAGMENT_CHARS)
    .sort((a, b) => b.value.length - a.value.length);
  if (!fragments.length) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const hit = fragments.find((r) => text.startsWith(r.value, i));
    if (hit) {
      out += hit.text;
      i += hit.value.length;
    } else {
      out += text[i] ?? '';
      i += 1;
    }
  }
  return out;
}

/** A deep copy of a JSON-like value with every string leaf passed through restoreReferencesInText. */
export function restoreReferences<T>(value: T, references: readonly ResolvedReference[]): T {
  if (!references.length) return value;
  const visit = (node: unknown): unknown => {
    if (typeof node === 'string') return restoreReferencesInText(node, references);
    if (Array.isArray(node)) return node.map(visit);
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([key, child]) => [key, visit(child)]));
    }
    return node;
  };
  return visit(value) as T;
}
