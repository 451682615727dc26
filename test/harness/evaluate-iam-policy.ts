/**
 * A tiny IAM policy evaluator for tests: is (action, resource, request context) allowed by a policy
 * document? Enough of AWS's rules for the policies ferry generates: Allow/Deny statements (an explicit
 * Deny wins), Action and Resource wildcards (`*`, `?`; `${*}`, `${?}`, `${$}` are literal characters),
 * and StringLike / StringEquals conditions (a condition on a key the request does not carry fails,
 * as without ...IfExists).
 */

export interface PolicyRequest {
  action: string;
  resource: string;
  context?: Record<string, string>;
}

interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

const list = (value: string | string[]) => (Array.isArray(value) ? value : [value]);

function wildcard(pattern: string, { caseInsensitive }: { caseInsensitive: boolean }): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const literal = /^\$\{([*?$])\}/.exec(pattern.slice(i));
    if (literal) {
      source += `\\${literal[1]}`;
      i += literal[0].length - 1;
      continue;
    }
    const c = pattern[i] as string;
    source += c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, caseInsensitive ? 'is' : 's');
}

function conditionHolds(condition: Statement['Condition'], context: Record<string, string>): boolean {
  for (const [operator, entries] of Object.entries(condition ?? {})) {
    for (const [key, expected] of Object.entries(entries)) {
      const actual = context[key];
      if (actual === undefined) return false;
      const matches =
        operator === 'StringLike'
          ? list(expected).some((p) => wildcard(p, { caseInsensitive: false }).test(actual))
          : operator === 'StringEquals'
            ? list(expected).includes(actual)
            : (() => {
                throw new Error(`evaluator: unsupported condition operator ${operator}`);
              })();
      if (!matches) return false;
    }
  }
  return true;
}

function applies(statement: Statement, request: PolicyRequest): boolean {
  return (
    list(statement.Action).some((a) => wildcard(a, { caseInsensitive: true }).test(request.action)) &&
    list(statement.Resource ?? []).some((r) =>
      wildcard(r, { caseInsensitive: false }).test(request.resource),
    ) &&
    conditionHolds(statement.Condition, request.context ?? {})
  );
}

export function isAllowed(policy: { Statement: readonly Statement[] }, request: PolicyRequest): boolean {
  const matching = policy.Statement.filter((s) => applies(s, request));
  return matching.some((s) => s.Effect === 'Allow') && !matching.some((s) => s.Effect === 'Deny');
}
