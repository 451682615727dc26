/**
 * A configuration file as read: its path (as the user gave it) and text. Parsing and location
 * lookups are pure functions of this pair, so config/ never touches the file system.
 */
export interface SourceFile {
  /** Path for messages, relative to the working directory when possible. */
  path: string;
  text: string;
}
