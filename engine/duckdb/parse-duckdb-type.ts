/**
 * The common DuckDB type names, recognised without DuckDB: `ferry validate` need not start DuckDB
 * (~0.3 s) for a project whose declared types are VARCHAR, BIGINT, DECIMAL(12,2), TIMESTAMPTZ,
 * VARCHAR[], MAP(VARCHAR, VARCHAR)… This is a fast path, never the judge: it answers only for a
 * small grammar it knows DuckDB accepts, and gives DuckDB's own canonical name (what `typeof` says);
 * anything else (a typo, an expression, STRUCT, ENUM, an array size) is undefined and goes to DuckDB
 * (check-duckdb-types.ts), so every error still comes from DuckDB.
 * test/integration/duckdb/parse-duckdb-type.test.ts holds every answer against DuckDB's.
 */

/** Built-in names (lower case, words joined by one space) → DuckDB's canonical type. */
const SCALARS: ReadonlyMap<string, string> = new Map([
  ...names('BIGINT', ['bigint', 'int8', 'int64', 'long']),
  ...names('BLOB', ['blob', 'bytea', 'binary', 'varbinary']),
  ...names('BOOLEAN', ['boolean', 'bool']),
  ...names('DATE', ['date']),
  ...names('DECIMAL(18,3)', ['decimal', 'dec', 'numeric']),
  ...names('DOUBLE', ['double', 'float8', 'double precision']),
  ...names('FLOAT', ['float', 'float4', 'real']),
  ...names('HUGEINT', ['hugeint', 'int128']),
  ...names('INTEGER', ['integer', 'int', 'int4', 'int32']),
  ...names('INTERVAL', ['interval']),
  ...names('JSON', ['json']),
  ...names('SMALLINT', ['smallint', 'int2', 'int16', 'short']),
  ...names('TIME', ['time']),
  ...names('TIME WITH TIME ZONE', ['timetz', 'time with time zone']),
  ...names('TIMESTAMP', ['timestamp', 'datetime', 'timestamp_us']),
  ...names('TIMESTAMP WITH TIME ZONE', ['timestamptz', 'timestamp with time zone']),
  ...names('TIMESTAMP_MS', ['timestamp_ms']),
  ...names('TIMESTAMP_NS', ['timestamp_ns']),
  ...names('TIMESTAMP_S', ['timestamp_s']),
  ...names('TINYINT', ['tinyint', 'int1']),
  ...names('UBIGINT', ['ubigint', 'uint64']),
  ...names('UHUGEINT', ['uhugeint', 'uint128']),
  ...names('UINTEGER', ['uinteger', 'uint32']),
  ...names('USMALLINT', ['usmallint', 'uint16']),
  ...names('UTINYINT', ['utinyint', 'uint8']),
  ...names('UUID', ['uuid', 'guid']),
  ...names('VARCHAR', ['varchar', 'string', 'text', 'char', 'bpchar', 'nvarchar']),
]);

const DECIMAL_NAMES = new Set(['decimal', 'dec', 'numeric']);
const MAX_DECIMAL_WIDTH = 38;
/** Deeper nesting is left to DuckDB (and is no type anyone declares for a column). */
const MAX_DEPTH = 8;

function names(canonical: string, aliases: readonly string[]): Array<[string, string]> {
  return aliases.map((alias) => [alias, canonical]);
}

type Token =
  { kind: 'word'; text: string } | { kind: 'number'; text: string } | { kind: 'mark'; text: string };

/** Words, numbers and the marks ( ) , [ ]; undefined for anything else (quotes, operators, comments). */
function tokenize(text: string): Token[] | undefined {
  const tokens: Token[] = [];
  const pattern = /\s*(?:([A-Za-z_][A-Za-z0-9_]*)|([0-9]+)|([(),[\]]))/y;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    pattern.lastIndex = at;
    const match = pattern.exec(text);
    if (!match) return undefined;
    at = pattern.lastIndex;
    if (match[1] !== undefined) tokens.push({ kind: 'word', text: match[1].toLowerCase() });
    else if (match[2] !== undefined) tokens.push({ kind: 'number', text: match[2] });
    else tokens.push({ kind: 'mark', text: match[3] ?? '' });
  }
  return tokens;
}

class TypeReader {
  private at = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  done(): boolean {
    return this.at === this.tokens.length;
  }

  /** One type: a base type and any number of `[]`. */
  type(depth: number): string | undefined {
    if (depth > MAX_DEPTH) return undefined;
    let type = this.base(depth);
    while (type !== undefined && this.peek('[')) {
      this.at += 1;
      if (!this.mark(']')) return undefined;
      type = `${type}[]`;
    }
    return type;
  }

  private base(depth: number): string | undefined {
    const first = this.word();
    if (first === undefined) return undefined;
    if (first === 'map') return this.map(depth);
    if (DECIMAL_NAMES.has(first) && this.peek('(')) return this.decimal();
    // The longest run of words that is a name (TIMESTAMP WITH TIME ZONE, DOUBLE PRECISION).
    let name = first;
    let canonical = SCALARS.get(name);
    let taken = this.at;
    for (let i = this.at; this.tokens[i]?.kind === 'word'; i += 1) {
      name = `${name} ${this.tokens[i]?.text ?? ''}`;
      const longer = SCALARS.get(name);
      if (longer !== undefined) [canonical, taken] = [longer, i + 1];
    }
    this.at = taken;
    return canonical;
  }

  private map(depth: number): string | undefined {
    if (!this.mark('(')) return undefined;
    const key = this.type(depth + 1);
    if (key === undefined || !this.mark(',')) return undefined;
    const value = this.type(depth + 1);
    if (value === undefined || !this.mark(')')) return undefined;
    return `MAP(${key}, ${value})`;
  }

  private decimal(): string | undefined {
    this.at += 1; // (
    const width = this.number();
    let scale = 0;
    if (this.peek(',')) {
      this.at += 1;
      const written = this.number();
      if (written === undefined) return undefined;
      scale = written;
    }
    if (width === undefined || !this.mark(')')) return undefined;
    if (width < 1 || width > MAX_DECIMAL_WIDTH || scale > width) return undefined;
    return `DECIMAL(${width},${scale})`;
  }

  private word(): string | undefined {
    const token = this.tokens[this.at];
    if (token?.kind !== 'word') return undefined;
    this.at += 1;
    return token.text;
  }

  private number(): number | undefined {
    const token = this.tokens[this.at];
    if (token?.kind !== 'number' || token.text.length > 3) return undefined;
    this.at += 1;
    return Number(token.text);
  }

  private peek(mark: string): boolean {
    const token = this.tokens[this.at];
    return token?.kind === 'mark' && token.text === mark;
  }

  private mark(mark: string): boolean {
    if (!this.peek(mark)) return false;
    this.at += 1;
    return true;
  }
}

/** The built-in names the fast path knows (lower case), for tests. */
export function listParsedDuckDbTypeNames(): string[] {
  return [...SCALARS.keys()];
}

/**
 * DuckDB's canonical name for a declared type that is certainly a DuckDB type (`decimal(12, 2)` →
 * `DECIMAL(12,2)`, `timestamptz` → `TIMESTAMP WITH TIME ZONE`); undefined when only DuckDB can tell.
 */
export function parseDuckDbType(text: string): string | undefined {
  const tokens = tokenize(text);
  if (tokens === undefined || tokens.length === 0) return undefined;
  const reader = new TypeReader(tokens);
  const type = reader.type(0);
  return type !== undefined && reader.done() ? type : undefined;
}
