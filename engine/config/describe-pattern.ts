/**
 * The schemas' `pattern`s in words, so "must match pattern ^[a-z0-9][a-z0-9_-]{0,62}$" reaches the
 * reader as "lowercase letters, digits, …", plus a likely fix where one is obvious ("Accounts CSV" →
 * "accounts-csv", "6:00" → "06:00"). A unit test checks that every pattern in schemas/ is listed.
 */

export interface PatternDescription {
  /** What the value must look like, as a phrase that completes "expected …". */
  words: string;
  /** A corrected value, when one is obvious; undefined otherwise. */
  fix?: (value: string) => string | undefined;
}

const NAME = '^[a-z0-9][a-z0-9_-]{0,62}$';
const BUCKET = '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$';
const TIME_OF_DAY = '^([01][0-9]|2[0-3]):[0-5][0-9]$';
const IDENTIFIER = '^[A-Za-z_][A-Za-z0-9_]{0,254}$';

const matches = (pattern: string) => (candidate: string, original: string) =>
  candidate !== original && new RegExp(pattern, 'u').test(candidate) ? candidate : undefined;

const PATTERNS: Record<string, PatternDescription> = {
  '^[A-Za-z0-9_.:()-]{1,100}$': {
    words: 'a check name: letters, digits and "_", ".", ":", "(", ")", "-", at most 100 characters',
  },
  [NAME]: {
    words: 'lowercase letters, digits, "-" and "_", starting with a letter or digit, at most 63 characters',
    fix: (v) =>
      matches(NAME)(
        v
          .trim()
          .toLowerCase()
          .replace(/[^a-z0-9_-]+/g, '-')
          .replace(/^[-_]+|-+$/g, ''),
        v,
      ),
  },
  [BUCKET]: {
    words:
      'an S3 bucket name: 3-63 lowercase letters, digits, "." and "-", starting and ending with a letter or digit',
    fix: (v) =>
      matches(BUCKET)(
        v
          .trim()
          .toLowerCase()
          .replace(/[^a-z0-9.-]+/g, '-'),
        v,
      ),
  },
  [TIME_OF_DAY]: {
    words: 'a time of day "HH:MM" on a 24-hour clock, such as "06:00" or "18:30"',
    fix: (v) => matches(TIME_OF_DAY)(v.trim().replace(/^(\d):/, '0$1:'), v),
  },
  '^[1-9][0-9]*(m|h|d)$': {
    words: 'a whole number followed by m (minutes), h (hours) or d (days), such as 30m, 6h or 7d',
  },
  '^[1-9][0-9]*(s|m|h)$': {
    words: 'a whole number followed by s (seconds), m (minutes) or h (hours), such as 90s, 30m or 2h',
    fix: (v) => matches('^[1-9][0-9]*(s|m|h)$')(v.trim().replace(/\s+/g, '').toLowerCase(), v),
  },
  '^[1-9][0-9]*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$': {
    words:
      'a whole number followed by a unit B, KB, MB, GB, TB, KiB, MiB, GiB or TiB, such as 500MB or 10GiB',
    fix: (v) => matches('^[1-9][0-9]*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$')(v.replace(/\s+/g, ''), v),
  },
  '^(?:(?:[2-9]|[1-9][0-9]+)s|[1-9][0-9]*[mh])$': {
    words: 'a whole number followed by s (seconds, at least 2), m (minutes) or h (hours), such as 90s or 10m',
  },
  [IDENTIFIER]: {
    words: 'letters, digits and "_", not starting with a digit, such as account_id',
    fix: (v) =>
      matches(IDENTIFIER)(
        v
          .trim()
          .toLowerCase()
          .replace(/[^a-z0-9_]+/g, '_')
          .replace(/^(\d)/, '_$1'),
        v,
      ),
  },
  '^[A-Za-z][A-Za-z0-9_ ,()\\[\\]]*$': {
    words: 'a DuckDB type name such as VARCHAR, BIGINT, DATE or DECIMAL(12,2)',
  },
  '^(?!/)(?!.*//)(?!(?:.*/)?\\.\\.?(?:/|$))[^\\\\\\x00-\\x1f]*$': {
    words:
      'a folder inside the bucket, such as acme/daily/: no leading "/", no "//", no "." or ".." segments, no backslashes or control characters',
  },
  '^(https?://[^\\s/?#]+(?:[/?#]\\S*)?|\\$\\{(env|file):[^}]+\\})$': {
    words:
      'an http:// or https:// URL such as https://s3.example.com, or a reference such as "${env:FERRY_S3_ENDPOINT}"',
  },
  '^[a-z0-9][a-z0-9-]{0,31}$': {
    words: 'an AWS region name such as eu-west-1 (lowercase letters, digits and "-")',
    fix: (v) =>
      matches('^[a-z0-9][a-z0-9-]{0,31}$')(
        v
          .trim()
          .toLowerCase()
          .replace(/[\s_]+/g, '-'),
        v,
      ),
  },
  '^[1-9][0-9]{0,2} ?(KB|MB|KiB|MiB)$': {
    words: 'a size from 1 to 999 in KB, MB (1000 bytes) or KiB, MiB (1024), such as 64MB',
    fix: (v) =>
      matches('^[1-9][0-9]{0,2} ?(KB|MB|KiB|MiB)$')(
        v.trim().replace(/(?<=\d)\s*([kKmM])[bB]$/, (_, u: string) => `${u.toUpperCase()}B`),
        v,
      ),
  },
  '^\\d+(\\.\\d+)?%$': {
    words: 'a row count or a percentage such as "1%" or "0.5%"',
  },
  '^arn:aws[a-z-]*:iam::\\d{12}:role/.+$': {
    words: 'an IAM role ARN such as arn:aws:iam::123456789012:role/ferry-reader',
  },
  '^last$': {
    words: 'a day number or the word last',
  },
  '^[A-Za-z0-9+=,.@_-]{2,64}$': {
    words: '2-64 letters, digits and any of + = , . @ _ -',
  },
  "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$": {
    words: "an HTTP header name (letters, digits and any of ! # $ % & ' * + . ^ _ ` | ~ -)",
  },
  '^[A-Za-z0-9_*]+$': {
    words: 'an environment variable name or a pattern with *, such as VENDOR_BUCKET or DROP_*',
  },
  '^[^$]+$': {
    words: 'a file path or glob without "$", such as /etc/ferry/*.txt',
  },
  '^\\$\\{(env:[A-Za-z_][A-Za-z0-9_]*|file:[^}]+)\\}$': {
    words: 'a reference such as "${env:NAME}" or "${file:/path/to/secret}"',
  },
};

export function describePattern(pattern: string): PatternDescription | undefined {
  return PATTERNS[pattern];
}
