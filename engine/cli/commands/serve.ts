/** `ferry serve`: run the pipelines on their schedules until stopped, with health and metrics endpoints. */
import { ExitCode } from '../../errors/exit-codes.js';
import { parseDuration } from '../../config/parse-duration.js';
import { chooseLogFormat, createLogger, LOG_FORMATS } from '../../log/create-logger.js';
import { runServe } from '../../serve/run-serve.js';
import { UsageError, type CommandSpec } from '../command.js';

export const DEFAULT_SERVE_PORT = 9464;

export const serveCommand: CommandSpec = {
  name: 'serve',
  summary: 'Run the pipelines on their schedules until stopped (the container entry point).',
  usage: 'ferry serve [--project FILE] [--port N] [--host ADDR] [--concurrency N] [--log-format json|text]',
  description:
    'Schedules every enabled pipeline with a `schedule`, never runs a pipeline twice at once, catches up\n' +
    'once after downtime, reloads the configuration when its files change (keeping the last good one if\n' +
    'the new one is invalid), and serves /healthz, /readyz, /metrics (Prometheus) and /status.\n' +
    'SIGTERM or SIGINT: starts nothing new, lets running runs stop at their next step, exits 0 once\n' +
    'drained (143 / 130 if the grace period ran out first).',
  options: {
    project: { type: 'string', short: 'p', description: 'Project file.', default: 'ferry.yaml' },
    port: {
      type: 'string',
      description: `Port of the HTTP endpoints (0: any free port, logged). Default: $FERRY_HEALTH_PORT, else ${DEFAULT_SERVE_PORT} (the container's HEALTHCHECK reads the same variable).`,
    },
    host: { type: 'string', description: 'Address the HTTP endpoints listen on.', default: '0.0.0.0' },
    concurrency: { type: 'string', description: 'Pipelines run at the same time, at most.', default: '2' },
    'grace-period': {
      type: 'string',
      description: 'On SIGTERM, how long to wait for running runs to stop (e.g. 25s, 2m).',
      default: '25s',
    },
    'reload-interval': {
      type: 'string',
      description: 'How often to check the configuration files for changes (0s: never).',
      default: '10s',
    },
    'log-format': {
      type: 'string',
      description: 'Log lines as JSON or text (default: text on a terminal, JSON otherwise).',
      choices: LOG_FORMATS,
    },
  },
  examples: ['ferry serve', 'ferry serve --port 9464 --concurrency 4 --log-format json'],
  async run(context) {
    const { values, output } = context;
    const port = parseInteger(
      values['port'] ?? context.env['FERRY_HEALTH_PORT'] ?? String(DEFAULT_SERVE_PORT),
      'port',
      0,
      65_535,
    );
    const concurrency = parseInteger(values['concurrency'], 'concurrency', 1, 64);
    const graceMs = parseSeconds(values['grace-period'], 'grace-period');
    const reloadIntervalMs = parseSeconds(values['reload-interval'], 'reload-interval');
    const format = chooseLogFormat(
      typeof values['log-format'] === 'string' ? values['log-format'] : undefined,
      output.interactive === true,
    );
    const logger = createLogger({ format, write: (line) => output.stdout(line), color: output.color });
    const signal = context.signal ?? new AbortController().signal;
    const ended = await runServe({
      cwd: context.cwd,
      env: context.env,
      projectFile: String(values['project']),
      logger,
      host: String(values['host']),
      port,
      concurrency,
      graceMs,
      reloadIntervalMs,
      signal,
    });
    if (ended === 'invalid-config') return ExitCode.invalidConfig;
    if (ended === 'grace-expired')
      return signal.reason === 'SIGINT' ? ExitCode.interrupted : ExitCode.terminated;
    return ExitCode.ok;
  },
};

function parseInteger(value: unknown, name: string, min: number, max: number): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got "${String(value)}").`);
  return n;
}

function parseSeconds(value: unknown, name: string): number {
  const text = typeof value === 'string' ? value : '';
  const ms = /^0+$/.test(text) ? 0 : parseDuration(text);
  if (ms === undefined)
    throw new UsageError(`--${name} must be a duration such as 30s, 2m or 0s (got "${text}").`);
  return ms;
}
