/**
 * A notification event as a plain-text email: a subject that says what happened to which pipeline,
 * and a body with the run id, the counts, the error and, for an export's "email to", one download
 * link per written file with the time it stops working.
 */
import type { NotifyEvent } from './notify-event.js';

export interface RenderedEmail {
  subject: string;
  text: string;
}

const COUNT_LABELS: ReadonlyArray<[string, string]> = [
  ['filesMatched', 'files matched'],
  ['filesNew', 'files new'],
  ['rowsRead', 'rows read'],
  ['rowsRejected', 'rows rejected'],
  ['rowsAdded', 'rows added'],
  ['rowsChanged', 'rows changed'],
  ['rowsRemoved', 'rows removed'],
  ['rowsWritten', 'rows written'],
  ['objectsWritten', 'objects written'],
];

function subjectOf(event: NotifyEvent): string {
  switch (event.kind) {
    case 'failure':
      return `[ferry] ${event.pipeline} failed${event.error ? `: ${event.error.code}` : ''}`;
    case 'stale':
      return `[ferry] ${event.pipeline} is stale: the next file is overdue`;
    case 'success': {
      const links = event.outputs?.filter((o) => o.presignedUrl !== undefined).length ?? 0;
      return links
        ? `[ferry] ${event.pipeline}: ${links} file${links === 1 ? '' : 's'} ready to download`
        : `[ferry] ${event.pipeline} succeeded`;
    }
  }
}

export function renderNotificationEmail(event: NotifyEvent): RenderedEmail {
  const lines = [`Pipeline: ${event.pipeline}`, `Run: ${event.runId}`, `At: ${event.at}`, ''];
  if (event.error) lines.push(`Error ${event.error.code}: ${event.error.message}`, '');
  if (event.stale) lines.push(`${event.stale.message}`, '');
  const counts = COUNT_LABELS.filter(([key]) => (event.counts[key] ?? 0) > 0).map(
    ([key, label]) => `  ${label}: ${event.counts[key] ?? 0}`,
  );
  if (counts.length) lines.push('Counts:', ...counts, '');
  const outputs = event.outputs ?? [];
  if (outputs.length) {
    lines.push(outputs.some((o) => o.presignedUrl) ? 'Files (download links):' : 'Files written:');
    for (const output of outputs) {
      lines.push(`  s3://${output.bucket}/${output.key}`);
      if (output.presignedUrl) {
        lines.push(`    ${output.presignedUrl}`);
        if (output.expiresAt) lines.push(`    (link works until ${output.expiresAt})`);
      }
    }
    lines.push('');
  }
  lines.push('Sent by ferry.');
  return { subject: subjectOf(event), text: `${lines.join('\n')}\n` };
}
