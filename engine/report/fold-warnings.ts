/**
 * A plan's warnings as a reviewer reads them: a run of 1,000 files with one warning each would fill a
 * pull-request comment with 1,000 near-identical lines. Text and Markdown show the first few of each
 * code and fold the rest into one line per code; JSON keeps every warning.
 */

export interface PlanWarning {
  code: string;
  message: string;
}

/** How many warnings of one code are shown before the rest are folded. */
export const WARNINGS_SHOWN_PER_CODE = 3;

export interface FoldedWarnings {
  /** The warnings shown, in their order. */
  shown: PlanWarning[];
  /** Per code (in order of first appearance), how many were not shown. */
  folded: Array<{ code: string; count: number }>;
}

export function foldWarnings(
  warnings: readonly PlanWarning[],
  perCode = WARNINGS_SHOWN_PER_CODE,
): FoldedWarnings {
  const seen = new Map<string, number>();
  const shown: PlanWarning[] = [];
  for (const warning of warnings) {
    const count = (seen.get(warning.code) ?? 0) + 1;
    seen.set(warning.code, count);
    if (count <= perCode) shown.push(warning);
  }
  const folded = [...seen]
    .filter(([, count]) => count > perCode)
    .map(([code, count]) => ({ code, count: count - perCode }));
  return { shown, folded };
}

/** The line that stands for the folded warnings of one code. */
export function foldedWarningsLine(fold: { code: string; count: number }): string {
  return `… and ${fold.count} more ${fold.code} warning${fold.count === 1 ? '' : 's'} like ${fold.count === 1 ? 'it' : 'them'} (the JSON plan lists every one)`;
}
