/**
 * The CONFIG_BAD_TIMEZONE problem for a value that is not an IANA time zone name, with the likely
 * name: a typo's nearest IANA name, the exact spelling of a name in the wrong case, or for a time zone
 * abbreviation the Area/City zones it usually stands for. Abbreviations get their own answer because
 * ICU (Intl, DuckDB) reads some of them as unrelated zones (BST is Asia/Dhaka) and none of them follows
 * daylight saving the way the place does.
 */
import { IANA_ZONE_NAMES } from '../time/iana-zone-names.gen.js';
import type { RuleIssue } from './rule-issue.js';
import { suggest } from './suggest.js';

/** Common abbreviations that are not IANA names, and the zones they usually mean. */
const ABBREVIATIONS: Readonly<Record<string, readonly string[]>> = {
  BST: ['Europe/London'],
  IST: ['Asia/Kolkata', 'Europe/Dublin', 'Asia/Jerusalem'],
  PST: ['America/Los_Angeles'],
  PDT: ['America/Los_Angeles'],
  MDT: ['America/Denver'],
  CST: ['America/Chicago', 'Asia/Shanghai'],
  CDT: ['America/Chicago'],
  EDT: ['America/New_York'],
  AST: ['America/Halifax', 'Asia/Riyadh'],
  ADT: ['America/Halifax'],
  NST: ['America/St_Johns'],
  AKST: ['America/Anchorage'],
  AKDT: ['America/Anchorage'],
  ECT: ['America/Guayaquil', 'Europe/Paris'],
  CEST: ['Europe/Berlin', 'Europe/Paris'],
  EEST: ['Europe/Athens', 'Europe/Helsinki'],
  WEST: ['Europe/Lisbon'],
  MSK: ['Europe/Moscow'],
  JST: ['Asia/Tokyo'],
  KST: ['Asia/Seoul'],
  HKT: ['Asia/Hong_Kong'],
  SGT: ['Asia/Singapore'],
  AEST: ['Australia/Sydney', 'Australia/Brisbane'],
  AEDT: ['Australia/Sydney'],
  ACST: ['Australia/Adelaide', 'Australia/Darwin'],
  AWST: ['Australia/Perth'],
  NZST: ['Pacific/Auckland'],
  NZDT: ['Pacific/Auckland'],
  SAST: ['Africa/Johannesburg'],
  CAT: ['Africa/Maputo'],
  EAT: ['Africa/Nairobi'],
  WAT: ['Africa/Lagos'],
  ART: ['America/Argentina/Buenos_Aires'],
  BRT: ['America/Sao_Paulo'],
};

/** `field` is where the value is written, e.g. "schedule.timezone". */
export function badTimeZone(
  zone: string,
  field: string,
  where: { file: string; pointer: string },
): RuleIssue {
  return {
    code: 'CONFIG_BAD_TIMEZONE',
    severity: 'error',
    message: `${field} "${zone}" is not an IANA time zone name.`,
    hint: timeZoneHint(zone),
    ...where,
  };
}

function timeZoneHint(zone: string): string {
  const meant = ABBREVIATIONS[zone.trim().toUpperCase()];
  if (meant) {
    const names = meant.map((name) => `"${name}"`).join(' or ');
    return `Abbreviations are ambiguous and not zone names (ICU reads some as other zones: BST as Asia/Dhaka). Use the Area/City name of the place: ${names}.`;
  }
  const sameLetters = IANA_ZONE_NAMES.find((name) => name.toLowerCase() === zone.trim().toLowerCase());
  if (sameLetters !== undefined) return `Did you mean "${sameLetters}"? IANA names are spelled exactly.`;
  const guess = suggest(zone.trim(), IANA_ZONE_NAMES);
  return guess !== undefined
    ? `Did you mean "${guess}"?`
    : 'Use an Area/City name such as Europe/Berlin or America/New_York, or UTC.';
}
