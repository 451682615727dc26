/**
 * `guards:` (a pipeline's, or ferry.yaml's `defaults.guards`) → one form: each limit a row count or
 * a percentage. Schema-valid input only: a percentage is `\d+(\.\d+)?%`.
 */
import type { GuardLimit, GuardName, Guards } from './model.js';

export const GUARD_NAMES: readonly GuardName[] = ['max_removed', 'max_deleted', 'max_changed', 'min_rows'];

export function normalizeGuards(spec: Partial<Record<GuardName, number | string>>): Guards {
  const guards: Guards = {};
  for (const name of GUARD_NAMES) {
    const value = spec[name];
    if (value !== undefined) guards[name] = parseGuardLimit(value);
  }
  return guards;
}

export function parseGuardLimit(value: number | string): GuardLimit {
  return typeof value === 'number'
    ? { kind: 'count', value }
    : { kind: 'percent', value: Number(value.replace('%', '')) };
}

/** A limit as the YAML writes it: 500 or "20%". */
export function formatGuardLimit(limit: GuardLimit): string {
  return limit.kind === 'percent' ? `${limit.value}%` : String(limit.value);
}
