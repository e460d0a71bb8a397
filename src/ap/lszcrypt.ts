// The inventory as lszcrypt (s390-tools) shows it, column for column: `lszcrypt` and `lszcrypt -V`
// (docs/kernel.md §11.3). Each row is first built as plain strings (the --json shape), then the
// table is printed the way s390-tools' record printer does it: every cell padded to its column
// width (never cut), one space between columns, a dash line as wide as the header.
import { queuesOf, type ApCard, type ApQueue, type Inventory } from './inventory.js';

export interface LszcryptOptions {
  /** `-V`: add PENDING, HWTYPE, QDEPTH, FUNCTIONS, DRIVER (and SESTAT) and show devices not bound to zcrypt. */
  verbose: boolean;
}

export type LszcryptColumnKey =
  | 'card' | 'type' | 'mode' | 'status' | 'requests' | 'pending' | 'hwtype' | 'qdepth' | 'functions' | 'driver' | 'sestat';

export interface LszcryptColumn {
  key: LszcryptColumnKey;
  header: string;
  width: number;
  align: 'left' | 'right';
}

/** One printed line of the table, cell texts as lszcrypt prints them (before padding). */
export type LszcryptRow = { kind: 'card' | 'queue' } & Partial<Record<LszcryptColumnKey, string>>;

/** The table as data: what `--json` prints. */
export interface LszcryptReport {
  columns: LszcryptColumn[];
  rows: LszcryptRow[];
  /** Lines lszcrypt prints after the table (the default-domain warning). */
  warnings: string[];
}

const col = (key: LszcryptColumnKey, header: string, width: number, align: 'left' | 'right'): LszcryptColumn =>
  ({ key, header, width, align });

const DEFAULT_COLUMNS: readonly LszcryptColumn[] = [
  col('card', 'CARD.DOM', 8, 'left'),
  col('type', 'TYPE', 5, 'left'),
  col('mode', 'MODE', 11, 'left'),
  col('status', 'STATUS', 10, 'left'),
  col('requests', 'REQUESTS', 8, 'right'),
];

const VERBOSE_COLUMNS: readonly LszcryptColumn[] = [
  col('pending', 'PENDING', 8, 'right'),
  col('hwtype', 'HWTYPE', 6, 'right'),
  col('qdepth', 'QDEPTH', 6, 'right'),
  col('functions', 'FUNCTIONS', 10, 'left'),
  col('driver', 'DRIVER', 11, 'left'),
];

const SESTAT_COLUMN = col('sestat', 'SESTAT', 11, 'left');

/** lszcrypt names a driver only when it is a zcrypt (cexN card/queue) or vfio_ap driver. */
const ZCRYPT_DRIVER = /cex[0-9](card|queue)/;
const VFIO_DRIVER = /vfio.ap/;

function driverCell(driver: string | null): string {
  return driver !== null && (ZCRYPT_DRIVER.test(driver) || VFIO_DRIVER.test(driver)) ? driver : '-no-driver-';
}

/** STATUS: deconfigured first, then checkstop, then zcrypt's online switch, then vfio_ap's status. */
function statusCell(d: { config: boolean | undefined; chkstop: boolean | undefined; online: boolean | undefined }, status?: string): string {
  if (d.config === false) return 'deconfig';
  if (d.chkstop === true) return 'chkstop';
  if (d.online !== undefined) return d.online ? 'online' : 'offline';
  return status ?? '-';
}

/** SESTAT of a queue: the bind state bits (0x0000c000) of its own ap_functions. */
function sestatCell(q: ApQueue): string {
  if (q.functions === null) return 'error';
  if (q.functions === 0) return 'invalid';
  return (['usable', 'bound', 'unbound', 'illicit'] as const)[(q.functions & 0xc000) >>> 14]!;
}

/** The AP bus has Secure Execution bind support (`APSB` in features): lszcrypt -V adds SESTAT. */
export function hasSestat(inv: Inventory): boolean {
  return inv.bus.features?.includes('APSB') ?? false;
}

function cardRow(c: ApCard, verbose: boolean, sestat: boolean): LszcryptRow {
  const row: LszcryptRow = {
    kind: 'card',
    card: c.name.slice(4),
    type: c.type ?? '-',
    mode: c.mode,
    status: statusCell(c),
    requests: c.config === false ? '-' : String(c.requestCount),
  };
  if (verbose) {
    Object.assign(row, common(c), {
      pending: c.config === false ? '-' : String(c.pending),
      driver: driverCell(c.driver),
    });
    if (sestat) row.sestat = '-';
  }
  return row;
}

function queueRow(c: ApCard, q: ApQueue, verbose: boolean, sestat: boolean): LszcryptRow {
  const row: LszcryptRow = {
    kind: 'queue',
    card: q.apqn,
    type: c.type ?? '-',
    mode: c.mode,
    status: statusCell(q, q.status),
    requests: q.config === false ? '-' : String(q.requestCount),
  };
  if (verbose) {
    // PENDING looks at the card's config and at the queue's driver.
    const zcrypt = q.driver !== null && ZCRYPT_DRIVER.test(q.driver);
    Object.assign(row, common(c), {
      pending: c.config === false || !zcrypt ? '-' : String(q.pending),
      driver: driverCell(q.driver),
    });
    if (sestat) row.sestat = sestatCell(q);
  }
  return row;
}

/** Columns a queue row repeats from its card. */
function common(c: ApCard): Partial<LszcryptRow> {
  return { hwtype: String(c.hwtype), qdepth: String(c.depth).padStart(2, '0'), functions: c.functionLetters };
}

/** `Warning: Default domain 0x.. is not available.` when ap_domain is unset or not a usage domain. */
export function defaultDomainWarning(inv: Inventory): string | undefined {
  const d = inv.bus.apDomain;
  const mask = inv.bus.usageDomainMask;
  if (d >= 0 && mask !== null && mask.has(d)) return undefined;
  // printf("%02lx") of a C long: -1 prints as 16 f's.
  const hex = (BigInt(d) & 0xffffffffffffffffn).toString(16).padStart(2, '0');
  return `Warning: Default domain 0x${hex} is not available.`;
}

/** The rows lszcrypt would print, as data (what `--json` shows). */
export function lszcryptReport(inv: Inventory, opts: LszcryptOptions): LszcryptReport {
  const sestat = opts.verbose && hasSestat(inv);
  const columns = [...DEFAULT_COLUMNS, ...(opts.verbose ? VERBOSE_COLUMNS : []), ...(sestat ? [SESTAT_COLUMN] : [])];
  const rows: LszcryptRow[] = [];
  for (const c of inv.cards) {
    // Without -V, lszcrypt skips what zcrypt does not drive: no `type` or no `online` attribute.
    if (!opts.verbose && (c.type === undefined || c.online === undefined)) continue;
    rows.push(cardRow(c, opts.verbose, sestat));
    for (const q of queuesOf(inv, c.id)) {
      if (!opts.verbose && q.online === undefined) continue;
      rows.push(queueRow(c, q, opts.verbose, sestat));
    }
  }
  const warning = defaultDomainWarning(inv);
  return { columns, rows, warnings: warning === undefined ? [] : [warning] };
}

/** Renders a report as s390-tools prints its tables (cells padded, never cut; trailing blanks kept). */
export function renderLszcrypt(report: LszcryptReport): string {
  const pad = (c: LszcryptColumn, text: string) => (c.align === 'left' ? text.padEnd(c.width) : text.padStart(c.width));
  const width = report.columns.reduce((n, c) => n + c.width, 0) + report.columns.length - 1;
  const lines = [
    report.columns.map((c) => pad(c, c.header)).join(' '),
    '-'.repeat(width),
    ...report.rows.map((r) => report.columns.map((c) => pad(c, r[c.key] as string)).join(' ')),
    ...report.warnings,
  ];
  return lines.join('\n') + '\n';
}

/** `lszcrypt` (or `lszcrypt -V` with verbose) of an inventory, exactly as the tool prints it. */
export function formatLszcrypt(inv: Inventory, opts: LszcryptOptions): string {
  return renderLszcrypt(lszcryptReport(inv, opts));
}
