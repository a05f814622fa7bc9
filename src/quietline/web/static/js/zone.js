// Times in the practice's time zone (appointments, on-call shifts, office hours), whatever
// zone the device is in: what staff read and type matches what clients are sent. Intl only.

const formatters = new Map(); // "<zone>|<options>" -> Intl.DateTimeFormat

function formatter(zone, options) {
  const key = `${zone}|${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', { ...options, timeZone: zone || undefined });
    } catch {
      f = new Intl.DateTimeFormat('en-US', options); // an unknown zone: the device's
    }
    formatters.set(key, f);
  }
  return f;
}

const toDate = (v) => (v instanceof Date ? v : new Date(v));

/** {year, month, day, hour, minute, weekday (0 Monday .. 6 Sunday)} of an instant in `zone`. */
export function partsIn(value, zone) {
  const parts = formatter(zone, {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    second: '2-digit', weekday: 'short', hourCycle: 'h23',
  }).formatToParts(toDate(value));
  const get = (type) => (parts.find((p) => p.type === type) || {}).value;
  const weekdays = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  return {
    year: Number(get('year')),
    month: Number(get('month')),
    day: Number(get('day')),
    hour: Number(get('hour')) % 24,
    minute: Number(get('minute')),
    second: Number(get('second')),
    weekday: weekdays.indexOf(get('weekday')),
  };
}

const pad = (n) => String(n).padStart(2, '0');

/** The calendar day of an instant in `zone`: "2026-03-03". */
export function dayIn(value, zone) {
  const p = partsIn(value, zone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

/** The clock time of an instant in `zone`, for a time input: "15:10". */
export function clockIn(value, zone) {
  const p = partsIn(value, zone);
  return `${pad(p.hour)}:${pad(p.minute)}`;
}

/** Offset of `zone` from UTC at an instant, in milliseconds (east positive). */
function offsetAt(ms, zone) {
  const p = partsIn(new Date(ms), zone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - (ms - (ms % 1000));
}

/**
 * The instant a wall-clock time ("2026-03-03", "15:10") names in `zone`. A time that occurs
 * twice (clocks going back) takes the first; one skipped (clocks going forward) lands next to
 * the gap.
 */
export function wallToDate(day, clock, zone) {
  const [y, m, d] = day.split('-').map(Number);
  const [hh, mm] = clock.split(':').map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  let guess = wall - offsetAt(wall, zone);
  const second = wall - offsetAt(guess, zone);
  if (second !== guess) guess = Math.min(guess, second);
  return new Date(guess);
}

/** The day after "2026-03-03" (calendar arithmetic, no zone). */
export function nextDay(day, n = 1) {
  const [y, m, d] = day.split('-').map(Number);
  const t = new Date(Date.UTC(y, m - 1, d + n));
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

/** "3:10 pm" in `zone`. */
export function timeIn(value, zone) {
  return formatter(zone, { hour: 'numeric', minute: '2-digit' }).formatToParts(toDate(value))
    .map((p) => (p.type === 'dayPeriod' ? p.value.toLowerCase() : p.value)).join('');
}

/** "Tuesday, March 3" for a day string "2026-03-03" (no zone involved). */
export function dayLabel(day, { today, withYear = false } = {}) {
  if (today && day === today) return 'Today';
  if (today && day === nextDay(today)) return 'Tomorrow';
  const [y, m, d] = day.split('-').map(Number);
  const options = { weekday: 'long', month: 'long', day: 'numeric', timeZone: 'UTC' };
  if (withYear) options.year = 'numeric';
  return new Intl.DateTimeFormat('en-US', options).format(new Date(Date.UTC(y, m - 1, d)));
}

/** "Tue, Mar 3, 3:10 pm" in `zone`. */
export function whenIn(value, zone) {
  const date = formatter(zone, { weekday: 'short', month: 'short', day: 'numeric' }).format(toDate(value));
  return `${date}, ${timeIn(value, zone)}`;
}

/** The time zones this browser knows (for a select), the given one first if it is unknown. */
export function knownZones(current) {
  let zones = [];
  try {
    zones = Intl.supportedValuesOf('timeZone');
  } catch {
    zones = [];
  }
  if (!zones.includes('UTC')) zones = ['UTC', ...zones];
  if (current && !zones.includes(current)) zones = [current, ...zones];
  return zones;
}
