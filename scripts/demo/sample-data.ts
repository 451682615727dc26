/**
 * Sample vendor files for the demo, generated in code from a seeded PRNG: the same seed gives the same
 * organizations, accounts, users, events and activity on every machine; only the dates follow the
 * calendar, so that the newest drop is always "today" (UTC) and the activity sequence is never
 * reported as overdue. Everything lands in the bucket vendor-drops:
 *
 *   acme/organizations/organizations_YYYYMMDD.csv   Vitally organizations (vitally-organizations)
 *   acme/accounts/accounts_YYYYMMDD.csv             full accounts snapshot (vitally-accounts,
 *                                                   vendor-accounts-csv)
 *   acme/users/users_YYYYMMDD.csv                   full user export (vitally-users)
 *   acme/user-activity/user_activity_YYYYMMDD.csv   last seen + sessions (vitally-users-update-only)
 *   acme/nps/nps_responses_YYYYMMDD.csv             NPS responses, extra columns (vitally-nps-responses)
 *   acme/tracks/tracks_YYYYMMDD_HHmm.csv            product events (vitally-tracks)
 *   acme/web/web_activity_YYYYMMDD.csv              rolling 48-hour window, "|"-separated
 *                                                   (lytics-import-activity-csv)
 *   acme/events/events_YYYYMMDD_HHmm.tsv.gz         increments, TAB-separated, gzip, \N = null
 *                                                   (vendor-events-tsv)
 *   custom/activity_YYYYMMDDHHmmss.json             NDJSON, one file per day (custom-data-json-sequence)
 */
import { gzipSync } from 'node:zlib';
import { formatTimestamp } from '../../engine/time/timestamp-format.js';

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
const HOUR_MS = 3_600_000;

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
  const lastHour = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS - HOUR_MS;
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

/** 2024-05-01T06:12:03Z */
function isoInstant(d: Date): string {
  return `${isoDate(d)}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}Z`;
}

/** A time in [from, to), in whole seconds. */
function timeBetween(random: Random, from: number, to: number): Date {
  return new Date(Math.floor((from + random.next() * (to - from)) / 1000) * 1000);
}

// ---------------------------------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------------------------------

function csvField(value: string, delimiter = ','): string {
  return value.includes(delimiter) || /["\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function csv(header: readonly string[], rows: readonly (readonly string[])[], delimiter = ','): Buffer {
  const text = [header, ...rows].map((fields) => fields.map((f) => csvField(f, delimiter)).join(delimiter));
  return Buffer.from(`${text.join('\r\n')}\r\n`, 'utf8');
}

// ---------------------------------------------------------------------------------------------------
// The vendor's world: organizations, accounts, users
// ---------------------------------------------------------------------------------------------------

type Plan = 'free' | 'starter' | 'growth' | 'enterprise';

interface Organization {
  id: string;
  name: string;
  domain: string;
  industry: string;
  employees: number;
  country: string;
}

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
  organizationId: string;
  email: string;
  name: string;
  role: 'admin' | 'member' | 'viewer';
  title: string;
  country: string;
  signedUp: string;
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
const HOLDING_FORMS = ['Holdings', 'Group', 'Partners', 'Ventures', 'Corporation'];
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
const COUNTRIES = ['US', 'CA', 'DE', 'FR', 'GB', 'SE', 'NL', 'ES', 'JP', 'AU', 'BR', 'IN'];
const CSMS = ['Priya Natarajan', 'Tom Becker', 'Ana Lima', 'Kenji Sato', 'Fatima Zahra', 'Liam O’Connor'];
const REGIONS = ['NA', 'EMEA', 'APAC', 'LATAM'];
const FIRST_NAMES = [
  'Ada',
  'Bruno',
  'Chloé',
  'Dmitri',
  'Elena',
  'Farah',
  'Gustav',
  'Hana',
  'Ivan',
  'Jonas',
  'Keiko',
  'Lucía',
  'Mateo',
  'Nora',
  'Omar',
  'Paula',
  'Quinn',
  'Rafael',
  'Sofia',
  'Tariq',
  'Uma',
  'Viktor',
  'Wen',
  'Yusuf',
  'Zoe',
];
const LAST_NAMES = [
  'Andersson',
  'Baptiste',
  'Chen',
  'Dubois',
  'Eriksen',
  'Fischer',
  'García',
  'Hoffmann',
  'Ito',
  'Jensen',
  'Kowalski',
  'Larsen',
  'Müller',
  'Novak',
  'Okafor',
  'Patel',
  'Rossi',
  'Silva',
  'Tanaka',
  'Virtanen',
  'Walsh',
  'Yilmaz',
];
const TITLES = [
  'Head of Operations',
  'Data Analyst',
  'VP Sales',
  'Customer Success Lead',
  'Engineer',
  'Marketing Manager',
  'CFO',
  'Product Manager',
];
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

/** "Société Générale des Eaux" → "societegenerale.example" */
function domainOf(name: string): string {
  const words = name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z ]/g, '')
    .split(' ')
    .filter(Boolean);
  return `${words.slice(0, 2).join('')}.example`;
}

function newAccount(
  random: Random,
  index: number,
  organizations: Organization[],
  signedUpBefore: Date,
): Account {
  const plan = random.weighted(PLAN_WEIGHTS);
  const since = Date.UTC(2019, 0, 1);
  const signedUp = new Date(since + Math.floor(random.next() * (signedUpBefore.getTime() - since)));
  return {
    id: `ACC-${10_000 + index}`,
    name: companyName(random),
    organizationId: random.pick(organizations).id,
    plan,
    mrr: mrrFor(plan, random),
    signedUp: isoDate(signedUp),
    industry: random.pick(INDUSTRIES),
    csm: random.pick(CSMS),
    region: random.pick(REGIONS),
  };
}

function newUser(random: Random, account: Account, role: User['role'], signedUp: string): User {
  const first = random.pick(FIRST_NAMES);
  const last = random.pick(LAST_NAMES);
  const local = `${first}.${last}`
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
  return {
    id: `u_${random.hex(8)}`,
    accountId: account.id,
    organizationId: account.organizationId,
    email: `${local}@${domainOf(account.name)}`,
    name: `${first} ${last}`,
    role,
    title: random.pick(TITLES),
    country: random.pick(COUNTRIES),
    signedUp,
  };
}

interface World {
  organizations: Organization[];
  accounts: Account[];
  /** Accounts that sign up overnight: in the CRM's snapshot only from day 2 on. */
  signUps: Account[];
  /** Users in the product on day 1, including 4 of tonight's sign-ups the CRM does not know yet. */
  users: User[];
  /** Users of the other 5 sign-ups: in the product from day 2 on. */
  laterUsers: User[];
}

const ORGANIZATIONS = 70;
/** The day-1 organizations file stops at ORG-0066: accounts of ORG-0067…0070 point nowhere. */
const ORGANIZATIONS_DAY_ONE = 66;
const ORGANIZATIONS_DAY_TWO = 68;
const ACCOUNTS_DAY_ONE = 200;
const SIGN_UPS = 9;
const EARLY_SIGN_UPS = 4;

function createWorld(seed: number, calendar: DemoCalendar): World {
  const random = new Random(seed).fork('world');
  const organizations = Array.from({ length: ORGANIZATIONS }, (_, i): Organization => {
    const name = `${random.pick(PREFIXES)} ${random.pick(HOLDING_FORMS)}`;
    return {
      id: `ORG-${pad(i + 1, 4)}`,
      name,
      domain: domainOf(name),
      industry: random.pick(INDUSTRIES),
      employees: random.pick([50, 200, 500, 1_000, 5_000, 20_000]),
      country: random.pick(COUNTRIES),
    };
  });
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
    for (let i = 0; i < count; i += 1) {
      const role = i === 0 ? 'admin' : random.pick(['member', 'member', 'viewer'] as const);
      users.push(newUser(random, account, role, account.signedUp));
    }
  }
  const signUpRandom = random.fork('sign-ups');
  const signUps = Array.from({ length: SIGN_UPS }, (_, i) => {
    const account = newAccount(signUpRandom, ACCOUNTS_DAY_ONE + i + 1, organizations, calendar.day2);
    account.signedUp = isoDate(calendar.day1);
    // New sign-ups belong to organizations both organizations files know.
    account.organizationId = signUpRandom.pick(organizations.slice(0, ORGANIZATIONS_DAY_ONE)).id;
    return account;
  });
  const signUpUsers = signUps.map((account) => newUser(signUpRandom, account, 'admin', account.signedUp));
  return {
    organizations,
    accounts,
    signUps,
    users: [...users, ...signUpUsers.slice(0, EARLY_SIGN_UPS)],
    laterUsers: signUpUsers.slice(EARLY_SIGN_UPS),
  };
}

// ---------------------------------------------------------------------------------------------------
// organizations_YYYYMMDD.csv
// ---------------------------------------------------------------------------------------------------

const ORGANIZATION_HEADER = [
  'Organization ID',
  'Organization Name',
  'Domain',
  'Industry',
  'Employees',
  'HQ Country',
];

function organizationsFile(
  organizations: readonly Organization[],
  day: Date,
  description: string,
): SampleFile {
  const rows = organizations.map((o) => [o.id, o.name, o.domain, o.industry, String(o.employees), o.country]);
  return {
    key: `acme/organizations/organizations_${ymd(day)}.csv`,
    body: csv(ORGANIZATION_HEADER, rows),
    description,
  };
}

function dayTwoOrganizations(world: World): Organization[] {
  const organizations = world.organizations.slice(0, ORGANIZATIONS_DAY_TWO).map((o) => ({ ...o }));
  // A merger renames two organizations; one grows.
  organizations[4]!.name = `${organizations[4]!.name.split(' ')[0] ?? ''} Global Group`;
  organizations[23]!.name = `${organizations[23]!.name.split(' ')[0] ?? ''} International`;
  organizations[40]!.employees *= 2;
  return organizations;
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

function accountFields(a: Account): string[] {
  return [a.id, a.name, a.organizationId, a.plan, a.mrr.toFixed(2), a.signedUp, a.industry, a.csm, a.region];
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
    body: csv(ACCOUNT_HEADER, lines),
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
  const rows = [...accounts.filter((_, index) => !removed.has(index)), ...world.signUps];
  const key = `acme/accounts/accounts_${ymd(calendar.day2)}.csv`;
  return [
    {
      key,
      body: csv(ACCOUNT_HEADER, rows.map(accountFields)),
      description: `${rows.length} accounts (full snapshot): ${world.signUps.length} new sign-ups, 14 changed, 5 gone, yesterday's 3 broken rows fixed`,
    },
    // The 3 rows rejected yesterday were never published, so today they count as added.
    { added: world.signUps.length + 3, changed: changed.size, removed: removed.size },
  ];
}

// ---------------------------------------------------------------------------------------------------
// users_YYYYMMDD.csv and user_activity_YYYYMMDD.csv
// ---------------------------------------------------------------------------------------------------

const USER_HEADER = [
  'User ID',
  'Account ID',
  'Organization ID',
  'Email',
  'Full Name',
  'Role',
  'Title',
  'Country',
  'Signed Up',
];

function usersFile(users: readonly User[], day: Date, description: string): SampleFile {
  const rows = users.map((u) => [
    u.id,
    u.accountId,
    u.organizationId,
    u.email,
    u.name,
    u.role,
    u.title,
    u.country,
    u.signedUp,
  ]);
  return { key: `acme/users/users_${ymd(day)}.csv`, body: csv(USER_HEADER, rows), description };
}

interface UserChanges {
  added: number;
  changed: number;
  left: number;
}

function dayTwoUsers(world: World, random: Random, calendar: DemoCalendar): [User[], UserChanges] {
  const users = world.users.map((u) => ({ ...u }));
  // Three people left their company: they are missing from today's export (and stay in the dataset).
  const left = new Set<number>();
  while (left.size < 3) left.add(random.int(0, users.length - 1));
  // Four details change: two new titles, a promotion to admin, a new e-mail address.
  const changed = new Set<number>();
  while (changed.size < 4) {
    const index = random.int(0, users.length - 1);
    if (!left.has(index)) changed.add(index);
  }
  [...changed].forEach((index, i) => {
    const user = users[index]!;
    if (i < 2) user.title = random.pick(TITLES.filter((t) => t !== user.title));
    else if (i === 2) user.role = user.role === 'admin' ? 'member' : 'admin';
    else user.email = user.email.replace('@', '+work@');
  });
  // New people: the admins of the other sign-ups, and three colleagues in existing accounts.
  const colleagues = Array.from({ length: 3 }, () => {
    const account = random.pick(world.accounts.filter((a) => a.plan === 'enterprise'));
    return newUser(random, account, 'member', isoDate(calendar.day1));
  });
  const kept = users.filter((_, index) => !left.has(index));
  const added = [...world.laterUsers, ...colleagues];
  return [[...kept, ...added], { added: added.length, changed: changed.size, left: left.size }];
}

const USER_ACTIVITY_HEADER = ['User ID', 'Last Seen', 'Sessions (30d)'];

/** Usage per user for the update-only pipeline; `unknown` rows are users the users dataset never had. */
function userActivityFile(users: readonly User[], random: Random, day: Date, unknown: number): SampleFile {
  const rows: string[][] = [];
  for (const user of users) {
    if (!random.chance(0.85)) continue;
    rows.push([
      user.id,
      isoInstant(timeBetween(random, day.getTime() - DAY_MS, day.getTime())),
      String(random.int(1, 60)),
    ]);
  }
  // Test users that were deleted in the product: Vitally's "only Update existing" leaves them out.
  for (let i = 0; i < unknown; i += 1) {
    rows.push([
      `u_test${random.hex(4)}`,
      isoInstant(timeBetween(random, day.getTime() - DAY_MS, day.getTime())),
      String(random.int(1, 5)),
    ]);
  }
  return {
    key: `acme/user-activity/user_activity_${ymd(day)}.csv`,
    body: csv(USER_ACTIVITY_HEADER, rows),
    description: `last seen and sessions of ${rows.length} users; ${unknown} are test users that do not exist`,
  };
}

// ---------------------------------------------------------------------------------------------------
// nps_responses_YYYYMMDD.csv
// ---------------------------------------------------------------------------------------------------

const NPS_HEADER = [
  'Response ID',
  'User ID',
  'Score',
  'Feedback',
  'Submitted At',
  'Survey',
  'Channel',
  'Browser',
];
const FEEDBACK: Record<'promoter' | 'passive' | 'detractor', string[]> = {
  promoter: [
    'Love the new reports',
    'Support is fast, and they actually read the ticket',
    'Saves our team hours every week',
    'The "health score" view is exactly what we needed',
    '',
  ],
  passive: ['Good, but exports are slow', 'Fine overall', 'Would like an API for dashboards', ''],
  detractor: [
    'Too expensive for what we use',
    'Login problems, twice this week',
    'Missing SSO; our IT team is not happy',
    '',
  ],
};

interface NpsResponse {
  id: string;
  userId: string;
  score: number;
  feedback: string;
  submitted: Date;
}

/** MM/DD/YYYY HH:mm in New York time, as the survey tool writes it. */
function usDateTime(d: Date): string {
  return formatTimestamp(d, 'MM/DD/YYYY HH:mm', 'America/New_York');
}

function npsResponses(
  users: readonly User[],
  random: Random,
  day: Date,
  count: number,
  firstId: number,
): NpsResponse[] {
  return Array.from({ length: count }, (_, i) => {
    const score = Number(
      random.weighted({ 10: 18, 9: 20, 8: 16, 7: 12, 6: 8, 5: 6, 4: 5, 3: 4, 2: 3, 1: 3, 0: 5 }),
    );
    const kind = score >= 9 ? 'promoter' : score >= 7 ? 'passive' : 'detractor';
    return {
      id: `nps_${pad(firstId + i, 5)}`,
      userId: random.pick(users).id,
      score,
      feedback: random.pick(FEEDBACK[kind]),
      submitted: timeBetween(random, day.getTime() - DAY_MS, day.getTime()),
    };
  }).sort((a, b) => a.submitted.getTime() - b.submitted.getTime());
}

function npsFile(
  responses: readonly NpsResponse[],
  random: Random,
  day: Date,
  description: string,
): SampleFile {
  const rows = responses.map((r) => [
    r.id,
    r.userId,
    String(r.score),
    r.feedback,
    usDateTime(r.submitted),
    'Relationship NPS Q4',
    random.pick(['email', 'in-app']),
    random.pick(['Chrome', 'Safari', 'Firefox', 'Edge']),
  ]);
  return { key: `acme/nps/nps_responses_${ymd(day)}.csv`, body: csv(NPS_HEADER, rows), description };
}

// ---------------------------------------------------------------------------------------------------
// tracks_YYYYMMDD_HHmm.csv
// ---------------------------------------------------------------------------------------------------

const TRACK_HEADER = ['Message ID', 'User ID', 'Event', 'Timestamp', 'Page', 'Browser', 'App Version'];

function trackRows(
  users: readonly User[],
  random: Random,
  from: number,
  to: number,
  count: number,
): string[][] {
  const times = Array.from({ length: count }, () => timeBetween(random, from, to)).sort(
    (a, b) => a.getTime() - b.getTime(),
  );
  return times.map((time) => {
    const event = random.weighted({
      'Logged In': 30,
      'Dashboard Viewed': 30,
      'Report Exported': 10,
      'Invite Sent': 6,
      'Integration Connected': 4,
      'User Deactivated': 2,
    });
    const page = event === 'Dashboard Viewed' || event === 'Report Exported' ? random.pick(PAGES) : '';
    return [
      `msg_${random.hex(20)}`,
      random.pick(users).id,
      event,
      isoInstant(time),
      page,
      random.pick(['Chrome', 'Safari', 'Firefox', 'Edge']),
      random.pick(['4.12.0', '4.12.1', '4.13.0']),
    ];
  });
}

function tracksFile(rows: readonly string[][], drop: Date, description: string): SampleFile {
  const stamp = `${ymd(drop)}_${pad(drop.getUTCHours())}${pad(drop.getUTCMinutes())}`;
  return { key: `acme/tracks/tracks_${stamp}.csv`, body: csv(TRACK_HEADER, rows), description };
}

// ---------------------------------------------------------------------------------------------------
// web_activity_YYYYMMDD.csv ("|"-separated, the last 48 hours, Berlin local time)
// ---------------------------------------------------------------------------------------------------

const WEB_HEADER = [
  'Activity ID',
  'User ID',
  'Activity',
  'Occurred At',
  'URL',
  'Referrer',
  'Session Token',
  'Duration (s)',
];
const WEB_PAGES = ['/', '/pricing', '/docs/getting-started', '/docs/api', '/blog/q4-release', '/customers'];

interface WebActivity {
  fields: string[];
  at: number;
}

/** Every web activity of the three days the two files cover, in time order. */
function webActivities(users: readonly User[], random: Random, from: number, to: number): WebActivity[] {
  const count = Math.round(((to - from) / DAY_MS) * 60);
  const times = Array.from({ length: count }, () => timeBetween(random, from, to)).sort(
    (a, b) => a.getTime() - b.getTime(),
  );
  return times.map((time, i) => {
    return {
      at: time.getTime(),
      fields: [
        `wa_${pad(i + 1, 6)}`,
        // Anonymous visitors have no user id.
        random.chance(0.3) ? '' : random.pick(users).id,
        random.weighted({
          page_view: 60,
          pricing_viewed: 12,
          docs_search: 15,
          demo_requested: 5,
          signup_started: 8,
        }),
        // Berlin wall-clock time, as the vendor writes it.
        formatTimestamp(time, 'YYYY-MM-DD HH:mm:ss', 'Europe/Berlin'),
        `https://acme.example${random.pick(WEB_PAGES)}`,
        random.pick([
          'https://www.google.com/',
          'https://news.ycombinator.com/',
          '',
          'https://www.linkedin.com/',
        ]),
        random.hex(16),
        String(random.int(3, 900)),
      ],
    };
  });
}

function webActivityFile(activities: readonly WebActivity[], day: Date, description: string): SampleFile {
  const rows = activities
    .filter((a) => a.at >= day.getTime() - 2 * DAY_MS && a.at < day.getTime())
    .map((a) => a.fields);
  return { key: `acme/web/web_activity_${ymd(day)}.csv`, body: csv(WEB_HEADER, rows, '|'), description };
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
  const at = (day: Date, hours: number): Date => new Date(day.getTime() + hours * HOUR_MS);
  const { day1, day2 } = calendar;

  // Users nobody knows (deleted in the product): their NPS responses and events are counted.
  const ghosts = Array.from({ length: 2 }, (_, i) => ({ ...world.users[i]!, id: `u_gone${pad(i + 1)}` }));
  const [usersTwo, userChanges] = dayTwoUsers(world, random.fork('users-2'), calendar);

  const npsOne = [
    ...npsResponses(world.users, random.fork('nps-1'), day1, 45, 1),
    ...npsResponses(ghosts, random.fork('nps-ghosts'), day1, 2, 46),
  ];
  const npsTwoNew = npsResponses(usersTwo, random.fork('nps-2'), day2, 25, 48);
  // A response sent again with a corrected score (same Response ID).
  const corrected = {
    ...npsOne[0]!,
    score: npsOne[0]!.score >= 9 ? 7 : 9,
    feedback: 'Update: issue resolved',
  };

  const tracksRandom = random.fork('tracks');
  const tracks1 = trackRows(world.users, tracksRandom, day1.getTime(), at(day1, 6).getTime(), 120);
  const tracks2 = [
    ...trackRows(world.users, tracksRandom, at(day1, 6).getTime(), at(day1, 12).getTime(), 140),
    ...trackRows(ghosts, tracksRandom, at(day1, 6).getTime(), at(day1, 12).getTime(), 2),
  ].sort((a, b) => (a[3]! < b[3]! ? -1 : 1));
  // The vendor re-sends the last 5 events of the 12:00 file with the midnight one.
  const resent = tracks2.slice(-5);
  const tracks3 = [
    ...resent,
    ...trackRows(usersTwo, tracksRandom, at(day1, 12).getTime(), day2.getTime(), 160),
  ];

  const web = webActivities(world.users, random.fork('web'), day1.getTime() - 2 * DAY_MS, day2.getTime());
  // A session still open at midnight: tomorrow's file has its final duration.
  const open = web.filter((a) => a.at < day1.getTime()).at(-1)!;
  const webTwo = web.map((a) =>
    a === open ? { ...a, fields: a.fields.map((f, i) => (i === 7 ? '1740' : f)) } : a,
  );

  const usageOne = userActivityFile(world.users, random.fork('usage-1'), day1, 3);
  const usageTwo = userActivityFile(usersTwo, random.fork('usage-2'), day2, 2);
  const organizationsTwo = dayTwoOrganizations(world);

  const dayOne: SampleDrop = {
    files: [
      organizationsFile(
        world.organizations.slice(0, ORGANIZATIONS_DAY_ONE),
        day1,
        `${ORGANIZATIONS_DAY_ONE} organizations (ORG-0067…0070 are missing)`,
      ),
      dayOneAccounts(world, calendar),
      usersFile(
        world.users,
        day1,
        `${world.users.length} users; ${EARLY_SIGN_UPS} belong to accounts that sign up tonight (not in the accounts file yet)`,
      ),
      usageOne,
      npsFile(
        npsOne,
        random.fork('nps-file-1'),
        day1,
        `${npsOne.length} NPS responses (2 from users that no longer exist) plus survey columns to ignore`,
      ),
      tracksFile(tracks1, at(day1, 6), `${tracks1.length} product events`),
      tracksFile(tracks2, at(day1, 12), `${tracks2.length} product events (2 by users that no longer exist)`),
      webActivityFile(web, day1, 'web activity of the last 48 hours ("|"-separated)'),
      eventsFile(world, random.fork('events-1'), {
        drop: at(day1, 6),
        from: day1,
        to: at(day1, 6),
        count: 140,
      }),
      eventsFile(world, random.fork('events-2'), {
        drop: at(day1, 12),
        from: at(day1, 6),
        to: at(day1, 12),
        count: 185,
      }),
      activityFile(world, random.fork('activity-0'), calendar.activity[0], 60),
      activityFile(world, random.fork('activity-1'), calendar.activity[1], 75),
    ],
    notes: [
      'Vitally-style CRM files: organizations, accounts, users, user activity, NPS responses, tracks',
      '200 accounts, 3 of them broken (rejects are reported, not imported); some point at unknown organizations',
      'Lytics-style files: a 48-hour web activity window, TAB-separated event files, a JSON sequence',
    ],
  };

  const [accounts, changes] = dayTwoAccounts(world, calendar, options.seed);
  const dayTwo: SampleDrop = {
    files: [
      organizationsFile(
        organizationsTwo,
        day2,
        `${organizationsTwo.length} organizations: 2 new, 2 renamed, 1 grew`,
      ),
      accounts,
      usersFile(
        usersTwo,
        day2,
        `${usersTwo.length} users: ${userChanges.added} new, ${userChanges.changed} changed, ${userChanges.left} left (they stay in the dataset)`,
      ),
      usageTwo,
      npsFile(
        [...npsTwoNew, corrected],
        random.fork('nps-file-2'),
        day2,
        `${npsTwoNew.length + 1} NPS responses: ${npsTwoNew.length} new, 1 re-sent with a corrected score`,
      ),
      tracksFile(
        tracks3,
        day2,
        `${tracks3.length} product events, the first ${resent.length} re-sent from yesterday`,
      ),
      webActivityFile(webTwo, day2, 'the next 48-hour window: half of it was in yesterday\u2019s file'),
      eventsFile(world, random.fork('events-3'), { drop: day2, from: at(day1, 12), to: day2, count: 210 }),
      activityFile(world, random.fork('activity-2'), calendar.activity[2], 80),
    ],
    notes: [
      `today's accounts snapshot: expect ${changes.added} added (${world.signUps.length} new + 3 fixed), ${changes.changed} changed, ${changes.removed} removed`,
      `users: ${userChanges.added} new, ${userChanges.changed} changed; tracks: ${resent.length} events re-sent (skipped, not duplicated)`,
      'web activity: only rows not in yesterday\u2019s window are appended; one more event file and activity file',
    ],
  };
  return { calendar, dayOne, dayTwo };
}
