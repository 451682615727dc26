/**
 * Sample vendor files for the demo, generated in code from a seeded PRNG: the same seed gives the same
 * accounts, users, events and activity on every machine; only the dates follow the calendar, so that
 * the newest drop is always "today" (UTC) and the activity sequence is never reported as overdue.
 *
 *   vendor-drops/acme/accounts/accounts_YYYYMMDD.csv         full snapshot, comma-separated
 *   vendor-drops/acme/events/events_YYYYMMDD_HHmm.tsv.gz     increments, TAB-separated, gzip, \N = null
 *   vendor-drops/custom/activity_YYYYMMDDHHmmss.json         NDJSON, one file per day
 */
import { gzipSync } from 'node:zlib';

export interface SampleFile {
  key: string;
  body: Buffer;
  /** One line for the console: what is in the file. */
  description: string;
}

export interface SampleDrop {
  files: SampleFile[];
  /** What the drop contains compared with the previous one, for the narration. */
  notes: string[];
}

const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------------------------------
// Seeded PRNG (mulberry32) and helpers
// ---------------------------------------------------------------------------------------------------

export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  weighted<T extends string>(weights: Readonly<Record<T, number>>): T {
    const entries = Object.entries(weights) as [T, number][];
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let r = this.next() * total;
    for (const [value, w] of entries) {
      r -= w;
      if (r < 0) return value;
    }
    return entries[entries.length - 1]![0];
  }

  hex(length: number): string {
    let out = '';
    while (out.length < length) out += this.int(0, 15).toString(16);
    return out;
  }

  /** A new generator derived from this seed and a label, so one file's content does not shift another's. */
  fork(label: string): Random {
    let h = this.state ^ 0x811c9dc5;
    for (const ch of label) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
    return new Random(h >>> 0);
  }
}

// ---------------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------------

export interface DemoCalendar {
  /** UTC midnight of the first drop: yesterday. */
  day1: Date;
  /** UTC midnight of the "next day" drop: today. */
  day2: Date;
  /**
   * The three activity files' timestamps, a day apart, the newest an hour or two before now: the
   * sequence expects one every 24h (+3h grace), and files stamped at midnight would make ferry report
   * the day-1 sequence as overdue for most of the day.
   */
  activity: [Date, Date, Date];
}

export function demoCalendar(now: Date): DemoCalendar {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const lastHour = Math.floor(now.getTime() / 3_600_000) * 3_600_000 - 3_600_000;
  return {
    day1: new Date(today - DAY_MS),
    day2: new Date(today),
    activity: [new Date(lastHour - 2 * DAY_MS), new Date(lastHour - DAY_MS), new Date(lastHour)],
  };
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function ymd(d: Date): string {
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
}

function isoDate(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

function sqlTimestamp(d: Date): string {
  return `${isoDate(d)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

// ---------------------------------------------------------------------------------------------------
// The vendor's world: organizations, accounts, users
// ---------------------------------------------------------------------------------------------------

type Plan = 'free' | 'starter' | 'growth' | 'enterprise';

interface Account {
  id: string;
  name: string;
  organizationId: string;
  plan: Plan;
  mrr: number;
  signedUp: string;
  industry: string;
  csm: string;
  region: string;
}

interface User {
  id: string;
  accountId: string;
}

const PREFIXES = [
  'Northwind',
  'Bluebird',
  'Cobalt',
  'Evergreen',
  'Harbor',
  'Juniper',
  'Keystone',
  'Lumen',
  'Meridian',
  'Nimbus',
  'Orchard',
  'Pioneer',
  'Quartz',
  'Redwood',
  'Summit',
  'Tidewater',
  'Umber',
  'Vantage',
  'Willow',
  'Zephyr',
  'Atlas',
  'Beacon',
  'Cedar',
  'Driftwood',
  'Ember',
  'Fjord',
  'Granite',
  'Helix',
];
const SUFFIXES = [
  'Logistics',
  'Analytics',
  'Health',
  'Foods',
  'Robotics',
  'Media',
  'Capital',
  'Labs',
  'Energy',
  'Outfitters',
  'Software',
  'Travel',
  'Biotech',
  'Studios',
  'Freight',
  'Insurance',
  'Learning',
  'Retail',
];
const FORMS = ['Inc.', 'GmbH', 'Ltd', 'LLC', 'AB', 'S.A.', 'B.V.', 'Pty Ltd', ''];
const INDUSTRIES = [
  'Software',
  'Retail',
  'Healthcare',
  'Logistics',
  'Financial Services',
  'Education',
  'Manufacturing',
  'Media',
  'Travel',
];
const CSMS = ['Priya Natarajan', 'Tom Becker', 'Ana Lima', 'Kenji Sato', 'Fatima Zahra', 'Liam O’Connor'];
const REGIONS = ['NA', 'EMEA', 'APAC', 'LATAM'];
const PLAN_WEIGHTS: Record<Plan, number> = { free: 25, starter: 35, growth: 28, enterprise: 12 };
const PLAN_ORDER: Plan[] = ['free', 'starter', 'growth', 'enterprise'];

function mrrFor(plan: Plan, random: Random): number {
  switch (plan) {
    case 'free':
      return 0;
    case 'starter':
      return random.pick([49, 99, 149]);
    case 'growth':
      return random.int(4, 24) * 50 - 0.01;
    case 'enterprise':
      return random.int(25, 160) * 100 + random.pick([0, 0.5, 0.75]);
  }
}

function companyName(random: Random): string {
  const form = random.pick(FORMS);
  return [random.pick(PREFIXES), random.pick(SUFFIXES), form].filter(Boolean).join(' ');
}

function newAccount(random: Random, index: number, organizations: string[], signedUpBefore: Date): Account {
  const plan = random.weighted(PLAN_WEIGHTS);
  const since = Date.UTC(2019, 0, 1);
  const signedUp = new Date(since + Math.floor(random.next() * (signedUpBefore.getTime() - since)));
  return {
    id: `ACC-${10_000 + index}`,
    name: companyName(random),
    organizationId: random.pick(organizations),
    plan,
    mrr: mrrFor(plan, random),
    signedUp: isoDate(signedUp),
    industry: random.pick(INDUSTRIES),
    csm: random.pick(CSMS),
    region: random.pick(REGIONS),
  };
}

interface World {
  accounts: Account[];
  users: User[];
  organizations: string[];
}

const ACCOUNTS_DAY_ONE = 200;

function createWorld(seed: number, calendar: DemoCalendar): World {
  const random = new Random(seed).fork('world');
  const organizations = Array.from({ length: 70 }, (_, i) => `ORG-${pad(i + 1, 4)}`);
  const accounts = Array.from({ length: ACCOUNTS_DAY_ONE }, (_, i) =>
    newAccount(random, i + 1, organizations, calendar.day1),
  );
  // Names a CSV writer must quote: a comma, and embedded double quotes.
  accounts[11]!.name = 'Baker, Lund & Partners';
  accounts[42]!.name = 'The "Good" Food Company';
  accounts[77]!.name = 'Société Générale des Eaux Nordiques';
  const users: User[] = [];
  for (const account of accounts) {
    const count = account.plan === 'enterprise' ? 3 : account.plan === 'free' ? random.int(0, 1) : 1;
    for (let i = 0; i < count; i += 1) users.push({ id: `u_${random.hex(8)}`, accountId: account.id });
  }
  return { accounts, users, organizations };
}

// ---------------------------------------------------------------------------------------------------
// accounts_YYYYMMDD.csv
// ---------------------------------------------------------------------------------------------------

const ACCOUNT_HEADER = [
  'Account ID',
  'Account Name',
  'Organization ID',
  'Plan',
  'MRR',
  'Signed Up',
  'Industry',
  'CSM',
  'Region',
];

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function accountFields(a: Account): string[] {
  return [a.id, a.name, a.organizationId, a.plan, a.mrr.toFixed(2), a.signedUp, a.industry, a.csm, a.region];
}

function accountsCsv(lines: string[][]): Buffer {
  const text = [ACCOUNT_HEADER, ...lines].map((fields) => fields.map(csvField).join(',')).join('\r\n');
  return Buffer.from(`${text}\r\n`, 'utf8');
}

// Rows the vendor's export gets wrong on day 1 (fixed on day 2).
const RAGGED_ROW = 57;
const BAD_MRR_ROW = 131;
const MISSING_NAME_ROW = 164;

function dayOneAccounts(world: World, calendar: DemoCalendar): SampleFile {
  const lines = world.accounts.map((account, index) => {
    const fields = accountFields(account);
    // A line cut short: the last two columns are missing.
    if (index === RAGGED_ROW) return fields.slice(0, 7);
    // A European-formatted amount that is not a decimal.
    if (index === BAD_MRR_ROW) fields[4] = '1.299,00';
    if (index === MISSING_NAME_ROW) fields[1] = '';
    return fields;
  });
  const key = `acme/accounts/accounts_${ymd(calendar.day1)}.csv`;
  return {
    key,
    body: accountsCsv(lines),
    description: `${lines.length} accounts (full snapshot); 3 rows are broken: one ragged, one MRR "1.299,00", one without a name`,
  };
}

interface AccountChanges {
  added: number;
  changed: number;
  removed: number;
}

function dayTwoAccounts(world: World, calendar: DemoCalendar, seed: number): [SampleFile, AccountChanges] {
  const random = new Random(seed).fork('accounts-day-2');
  const accounts = world.accounts.map((a) => ({ ...a }));
  // A few accounts churn and are missing from today's snapshot.
  const removed = new Set<number>();
  while (removed.size < 5) {
    const index = random.int(0, accounts.length - 1);
    if (![RAGGED_ROW, BAD_MRR_ROW, MISSING_NAME_ROW].includes(index)) removed.add(index);
  }
  // Some change plan (and MRR), CSM or name.
  const changed = new Set<number>();
  while (changed.size < 14) {
    const index = random.int(0, accounts.length - 1);
    if (removed.has(index) || [RAGGED_ROW, BAD_MRR_ROW, MISSING_NAME_ROW].includes(index)) continue;
    changed.add(index);
    const account = accounts[index]!;
    const what = random.weighted({ plan: 6, csm: 3, name: 1, region: 1 });
    if (what === 'plan') {
      const at = PLAN_ORDER.indexOf(account.plan);
      const next = PLAN_ORDER[at === PLAN_ORDER.length - 1 ? at - 1 : at + 1]!;
      account.plan = next;
      account.mrr = mrrFor(next, random);
    } else if (what === 'csm') {
      account.csm = random.pick(CSMS.filter((c) => c !== account.csm));
    } else if (what === 'name') {
      account.name = `${account.name.replace(/ (Inc\.|GmbH|Ltd|LLC|AB|S\.A\.|B\.V\.|Pty Ltd)$/, '')} Group`;
    } else {
      account.region = random.pick(REGIONS.filter((r) => r !== account.region));
    }
  }
  // New sign-ups since yesterday.
  const newAccounts = Array.from({ length: 9 }, (_, i) =>
    newAccount(random, ACCOUNTS_DAY_ONE + i + 1, world.organizations, calendar.day2),
  );
  for (const account of newAccounts) account.signedUp = isoDate(calendar.day1);
  const rows = [...accounts.filter((_, index) => !removed.has(index)), ...newAccounts];
  const key = `acme/accounts/accounts_${ymd(calendar.day2)}.csv`;
  return [
    {
      key,
      body: accountsCsv(rows.map(accountFields)),
      description: `${rows.length} accounts (full snapshot): 9 new sign-ups, 14 changed, 5 gone, yesterday's 3 broken rows fixed`,
    },
    // The 3 rows rejected yesterday were never published, so today they count as added.
    { added: newAccounts.length + 3, changed: changed.size, removed: removed.size },
  ];
}

// ---------------------------------------------------------------------------------------------------
// events_YYYYMMDD_HHmm.tsv.gz
// ---------------------------------------------------------------------------------------------------

const EVENT_HEADER = ['message_id', 'user_id', 'event_type', 'occurred_at', 'page', 'plan'];
const PAGES = ['/dashboard', '/reports', '/reports/new', '/settings/billing', '/integrations', '/team'];

function eventsFile(
  world: World,
  random: Random,
  options: { drop: Date; from: Date; to: Date; count: number },
): SampleFile {
  const span = options.to.getTime() - options.from.getTime();
  const times = Array.from({ length: options.count }, () =>
    Math.floor((options.from.getTime() + random.next() * span) / 1000),
  ).sort((a, b) => a - b);
  const plans = new Map(world.accounts.map((a) => [a.id, a.plan]));
  const lines = times.map((seconds) => {
    const user = random.pick(world.users);
    const event = random.weighted({
      page_viewed: 50,
      feature_used: 25,
      report_exported: 8,
      invite_sent: 5,
      logged_in: 12,
    });
    const page = event === 'page_viewed' || event === 'report_exported' ? random.pick(PAGES) : '\\N';
    // The vendor sometimes does not know the plan (null as \N).
    const plan = random.chance(0.08) ? '\\N' : (plans.get(user.accountId) ?? '\\N');
    return [`msg_${random.hex(24)}`, user.id, event, sqlTimestamp(new Date(seconds * 1000)), page, plan].join(
      '\t',
    );
  });
  const text = [EVENT_HEADER.join('\t'), ...lines].join('\n') + '\n';
  const stamp = `${ymd(options.drop)}_${pad(options.drop.getUTCHours())}${pad(options.drop.getUTCMinutes())}`;
  return {
    key: `acme/events/events_${stamp}.tsv.gz`,
    body: gzipSync(Buffer.from(text, 'utf8')),
    description: `${options.count} events (TAB-separated, gzip)`,
  };
}

// ---------------------------------------------------------------------------------------------------
// activity_YYYYMMDDHHmmss.json (NDJSON)
// ---------------------------------------------------------------------------------------------------

let activitySerial = 0;

function activityFile(world: World, random: Random, stamp: Date, count: number): SampleFile {
  const end = Math.floor(stamp.getTime() / 1000);
  const times = Array.from({ length: count }, () => end - random.int(1, 86_400)).sort((a, b) => a - b);
  const lines = times.map((ts) => {
    activitySerial += 1;
    const type = random.weighted({ session_started: 40, search: 30, export_created: 10, comment_added: 20 });
    const record = {
      id: `act_${pad(activitySerial, 6)}`,
      uid: random.pick(world.users).id,
      ts,
      type,
      duration_ms: type === 'session_started' ? random.int(2_000, 3_600_000) : null,
      source: random.weighted({ web: 70, ios: 18, android: 12 }),
    };
    return JSON.stringify(record);
  });
  const stampText = `${ymd(stamp)}${pad(stamp.getUTCHours())}${pad(stamp.getUTCMinutes())}${pad(stamp.getUTCSeconds())}`;
  return {
    key: `custom/activity_${stampText}.json`,
    body: Buffer.from(lines.join('\n') + '\n', 'utf8'),
    description: `${count} activity records (NDJSON)`,
  };
}

// ---------------------------------------------------------------------------------------------------
// The two drops
// ---------------------------------------------------------------------------------------------------

export interface SampleData {
  calendar: DemoCalendar;
  dayOne: SampleDrop;
  dayTwo: SampleDrop;
}

export function generateSampleData(options: { seed: number; now: Date }): SampleData {
  activitySerial = 0;
  const calendar = demoCalendar(options.now);
  const world = createWorld(options.seed, calendar);
  const random = new Random(options.seed);
  const at = (day: Date, hours: number): Date => new Date(day.getTime() + hours * 3_600_000);

  const dayOne: SampleDrop = {
    files: [
      dayOneAccounts(world, calendar),
      eventsFile(world, random.fork('events-1'), {
        drop: at(calendar.day1, 6),
        from: calendar.day1,
        to: at(calendar.day1, 6),
        count: 140,
      }),
      eventsFile(world, random.fork('events-2'), {
        drop: at(calendar.day1, 12),
        from: at(calendar.day1, 6),
        to: at(calendar.day1, 12),
        count: 185,
      }),
      activityFile(world, random.fork('activity-0'), calendar.activity[0], 60),
      activityFile(world, random.fork('activity-1'), calendar.activity[1], 75),
    ],
    notes: [
      '200 accounts, 3 of them broken (rejects are reported, not published)',
      '2 event files from yesterday morning',
      '2 activity files, one day apart',
    ],
  };

  const [accounts, changes] = dayTwoAccounts(world, calendar, options.seed);
  const dayTwo: SampleDrop = {
    files: [
      accounts,
      eventsFile(world, random.fork('events-3'), {
        drop: calendar.day2,
        from: at(calendar.day1, 12),
        to: calendar.day2,
        count: 210,
      }),
      activityFile(world, random.fork('activity-2'), calendar.activity[2], 80),
    ],
    notes: [
      `today's accounts snapshot: expect ${changes.added} added (9 new + 3 fixed), ${changes.changed} changed, ${changes.removed} removed`,
      'one more event file (yesterday afternoon and evening)',
      'the next activity file in the sequence',
    ],
  };
  return { calendar, dayOne, dayTwo };
}
