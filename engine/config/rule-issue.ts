import type { Problem } from '../errors/problem.js';

/** A problem found by a cross-field rule, located by JSON pointer (the loader turns it into file:line:col). */
export interface RuleIssue extends Omit<Problem, 'at' | 'pointer'> {
  file: string;
  pointer: string;
  target?: 'key' | 'value';
}
