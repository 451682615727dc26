/**
 * One pino record as a line for a person: time, level, who (pipeline or "serve"), the message, and
 * the code and run id when there are any. Everything else stays in the JSON format.
 */
export interface RenderLogLineOptions {
  color: boolean;
}

const LEVEL_COLORS: Record<string, string> = {
  debug: '90',
  info: '36',
  warn: '33',
  error: '31',
  fatal: '31',
};

export function renderLogLine(record: Record<string, unknown>, options: RenderLogLineOptions): string {
  const paint = (code: string, text: string) => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const time = typeof record['time'] === 'string' ? record['time'].slice(11, 19) : '';
  const level = typeof record['level'] === 'string' ? record['level'] : 'info';
  const who = typeof record['pipeline'] === 'string' ? record['pipeline'] : 'serve';
  const parts = [
    paint('90', time),
    paint(LEVEL_COLORS[level] ?? '0', level.toUpperCase().padEnd(5)),
    paint('1', who),
    typeof record['msg'] === 'string' ? record['msg'] : '',
  ];
  if (typeof record['code'] === 'string') parts.push(paint('90', `[${record['code']}]`));
  if (typeof record['at'] === 'string' && record['event'] === 'config-problem')
    parts.push(paint('90', record['at']));
  if (typeof record['runId'] === 'string') parts.push(paint('90', `run ${record['runId']}`));
  return parts.filter((p) => p !== '').join(' ') + '\n';
}
