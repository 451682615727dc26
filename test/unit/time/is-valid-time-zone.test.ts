/**
 * Only IANA tz database names are time zones. The expected sets were checked against Python's
 * zoneinfo.available_timezones() (tzdata 2025b): ICU, and so Intl, also accepts its legacy Java IDs
 * (BST = Asia/Dhaka), SystemV/* and any letter case, and ferry must refuse those.
 */
import { describe, expect, it } from 'vitest';
import { isValidTimeZone } from '../../../engine/time/zoned-time.js';

describe('isValidTimeZone', () => {
  it.each([
    'UTC',
    'Europe/Berlin',
    'America/Argentina/Buenos_Aires',
    'America/Port-au-Prince',
    // Legacy but real tzdata names (zones or links).
    'EST',
    'MST',
    'HST',
    'CET',
    'EST5EDT',
    'GMT',
    'Etc/GMT+5',
    'Etc/UTC',
    'US/Eastern',
    'Asia/Calcutta',
    'Asia/Kolkata',
    'GB',
    'Zulu',
  ])('accepts the IANA name %s', (zone) => {
    expect(isValidTimeZone(zone)).toBe(true);
  });

  it.each([
    // ICU's Java IDs: Intl accepts them and reads them as other zones.
    'BST',
    'IST',
    'PST',
    'AST',
    'CST',
    'ECT',
    'JST',
    // Not IANA at all.
    'CEST',
    'PDT',
    'SystemV/PST8',
    'US/Pacific-New',
    'europe/berlin',
    'utc',
    'Europe/Berlin ',
    'Europe/Berln',
    'GMT+5',
    '+02:00',
    'Factory',
    'localtime',
    '',
  ])('refuses %j', (zone) => {
    expect(isValidTimeZone(zone)).toBe(false);
  });
});
