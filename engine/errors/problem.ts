/**
 * Problems: configuration and planning findings, collected and returned as data (never thrown).
 * A problem says what is wrong, where (file:line:col), and what to do next (hint).
 */

export type Severity = 'error' | 'warning';

export interface SourceLocation {
  /** Path as given by the user (relative paths stay relative so output is reproducible). */
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  col: number;
  /** 1-based end position, when known (for code frames and annotations). */
  endLine?: number;
  endCol?: number;
}

export interface Problem {
  /** Stable, public code such as `FERRY_SCHEMA_UNKNOWN_KEY`. Documented in docs/problem-codes.md; never renamed. */
  code: string;
  severity: Severity;
  message: string;
  at?: SourceLocation;
  /** JSON pointer into the document, when the problem is about a value. */
  pointer?: string;
  /** What to do next. */
  hint?: string;
}

/** Cap on reported problems per run: beyond it, the user is told how many were left out. */
export const MAX_PROBLEMS = 100;

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

/** Stable order: by file, line, column, then code. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  return [...problems].sort((a, b) => {
    const fa = a.at?.file ?? '';
    const fb = b.at?.file ?? '';
    if (fa !== fb) return fa < fb ? -1 : 1;
    const la = a.at?.line ?? 0;
    const lb = b.at?.line ?? 0;
    if (la !== lb) return la - lb;
    const ca = a.at?.col ?? 0;
    const cb = b.at?.col ?? 0;
    if (ca !== cb) return ca - cb;
    return a.code < b.code ? -1 : a.code > b.code ? 1 : 0;
  });
}
