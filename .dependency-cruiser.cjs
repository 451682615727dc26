/**
 * ferry's layers, checked by `npm run lint` (dependency-cruiser). Imports flow one way:
 *
 *   cli → serve → run → steps → plan → config → time, errors
 *                  ↘ report (renders plans; only cli and serve use it)
 *   run, steps → state → io (S3, files); duckdb → errors
 *   run, serve → notify (after a run) → config/plan types, net, io, errors
 *
 * config/ and plan/ do no I/O, so a plan can be compiled and tested without a network; nothing
 * imports cli/; the CLI reaches storage only through run/ and state/'s store interface.
 */
const layer = (name) => `^engine/${name}/`;

/** [from, may not import, why] */
const FORBIDDEN = [
  ['(?!cli/)', 'cli', 'only the entry point is on top: nothing imports cli/'],
  ['cli', '(io|duckdb|steps)', 'the CLI talks to run/, state/ and report/, not to storage or steps'],
  ['(?!(cli|serve)/)', 'serve', 'serve is an entry point: only the CLI starts it'],
  [
    '(run|steps|plan|state|io|duckdb|config|project|time|errors|schedule|log|notify)',
    'report',
    'report renders plans for the CLI and serve',
  ],
  [
    '(steps|plan|state|io|duckdb|config|project|time|errors|report|schedule)',
    'run',
    'run orchestrates: steps and below never call back up',
  ],
  [
    '(plan|state|io|duckdb|config|project|time|errors|report)',
    'steps',
    'steps are executed by run, never imported below it',
  ],
  ['(state|io|duckdb|config|time|errors)', 'plan', 'plan sits above state, storage and config'],
  [
    '(config|project|time|errors|io|duckdb)',
    'state',
    'state is used by plan/steps/run, not by config or storage',
  ],
  [
    '(config|time|errors|plan)',
    '(io|duckdb)',
    'config/ and plan/ do no I/O; io/duckdb are leaves below steps and run',
  ],
  ['state', 'duckdb', 'state stores bytes; what is in them is for steps and run'],
  [
    '(io|duckdb|time|errors)',
    '(config|project)',
    'storage and DuckDB take plain settings, not configuration',
  ],
  ['(time|errors)', '(?!(time|errors)/)', 'time/ and errors/ are the bottom: they import nothing of ferry'],
  ['net', '(?!(net|errors)/)', 'net/ (address rules) is a leaf that config and io share'],
  [
    '(steps|plan|state|io|duckdb|config|project|time|errors|report|net)',
    'notify',
    'notify is called after a run (by run and serve); nothing below them calls it',
  ],
  [
    'notify',
    '(run|steps|state|duckdb|cli|serve|schedule|report|project)',
    'notify sends what a run result says: it uses config and plan types, net, io and errors only',
  ],
  [
    'discover',
    '(io|duckdb|steps|state|run|report|cli|project)',
    'discover/ is pure (families, patterns, YAML); run/discover does its listing and reading',
  ],
  [
    'scaffold',
    '(io|duckdb|steps|state|run|report|cli|project)',
    'scaffold/ renders the files ferry init writes',
  ],
];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle means two modules are one thing, or a type lives in the wrong one.',
      from: { path: '^engine/' },
      to: { circular: true },
    },
    ...FORBIDDEN.map(([from, to, comment], i) => ({
      name: `layers-${i + 1}`,
      severity: 'error',
      comment,
      from: { path: `^engine/${from}` },
      to: { path: layer(to) },
    })),
    {
      name: 'plan-uses-state-types-only',
      severity: 'error',
      comment: 'plan/ may use the state model (pipeline-state.ts), never a store that does I/O.',
      from: { path: '^engine/plan/' },
      to: { path: '^engine/state/(?!pipeline-state\\.ts$)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^engine/',
    exclude: { path: '\\.gen\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
