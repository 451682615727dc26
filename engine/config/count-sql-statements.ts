/**
 * A configuration SQL fragment (a predicate or an expression) must be one statement: ferry splices it
 * into its own SQL. This lexer finds top-level `;` outside strings, quoted identifiers and comments,
 * without needing DuckDB (config/ does no I/O and loads no native code).
 */
export interface SqlFragmentIssue {
  kind: 'multiple-statements' | 'unterminated';
  /** 0-based offset in the fragment. */
  offset: number;
}

export function checkSqlFragment(sql: string): SqlFragmentIssue | undefined {
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i];
    const next = sql[i + 1];
    if (ch === "'" || ch === '"') {
      const start = i;
      i += 1;
      for (;;) {
        if (i >= sql.length) return { kind: 'unterminated', offset: start };
        if (sql[i] === ch) {
          if (sql[i + 1] === ch) {
            i += 2;
            continue;
          }
          break;
        }
        i += 1;
      }
      i += 1;
      continue;
    }
    if (ch === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
      continue;
    }
    if (ch === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) return { kind: 'unterminated', offset: i };
      i = end + 2;
      continue;
    }
    if (ch === ';') {
      if (sql.slice(i + 1).trim() !== '') return { kind: 'multiple-statements', offset: i };
      // A trailing `;` would still break splicing into a larger statement.
      return { kind: 'multiple-statements', offset: i };
    }
    i += 1;
  }
  return undefined;
}
