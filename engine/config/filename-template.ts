/**
 * Output file names are Handlebars templates. The seed product's `{TIMESTAMP}` form is accepted and
 * rewritten to `{{timestamp}}`. The variables are fixed so a typo fails `validate`, not a 3 am run.
 */
export const FILENAME_VARIABLES = [
  'pipeline',
  'run_id',
  'timestamp',
  'date',
  'year',
  'month',
  'day',
  'hour',
  'minute',
  'source_stem',
  'part',
  'field',
  'ext',
] as const;

export type FilenameVariable = (typeof FILENAME_VARIABLES)[number];

/** `lytics-events-{TIMESTAMP}` → `lytics-events-{{timestamp}}` (only the seed's upper-case single-brace form). */
export function normalizeFilenameTemplate(template: string): string {
  return template.replace(
    /(?<!\{)\{([A-Z][A-Z_]*)\}(?!\})/g,
    (_, name: string) => `{{${name.toLowerCase()}}}`,
  );
}
