/**
 * A cross-field rule's finding, before it has a line and column: the file and JSON pointer it is
 * about. The loader locates it in the parsed document (key or value) and turns it into a Problem.
 * Its own module so the rule files share it without importing each other.
 */
import type { Problem } from '../errors/problem.js';

export interface RuleIssue extends Omit<Problem, 'at' | 'pointer'> {
  file: string;
  pointer: string;
  target?: 'key' | 'value';
}

/** Where a rule points: a file, a pointer in it, and whether the key or the value is meant. */
export type IssueWhere = Pick<RuleIssue, 'file' | 'pointer' | 'target'>;
