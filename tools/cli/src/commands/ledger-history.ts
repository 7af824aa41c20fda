import { readFileSync } from 'node:fs';
import type { NatsConnection } from '@nats-io/transport-node';
import { type LedgerEvent, topology } from '@halm/contracts';
import { LEDGER_EXPORT_FORMAT, type LedgerExport, verifyChain } from '@halm/domain';
import { connectNats, LedgerStore } from '@halm/messaging';
import { progressBar } from '../progress';

export interface HistoryOptions {
  natsUrl: string;
  namespace: string;
  /** The tenant to read from the ledger stream; with `file`, the tenant the file must hold (optional). */
  tenantId?: string;
  /** An export (`./halm export`) to read instead of the stream. */
  file?: string;
  /** The last height needed; the events after it are not read. */
  toHeight?: number;
}

/** A tenant's events, from its first to `toHeight` or its last. */
export interface TenantHistory {
  tenantId: string;
  /** How many events `events` yields: what a progress bar counts to. */
  total: number;
  events: AsyncIterable<LedgerEvent> | Iterable<LedgerEvent>;
  /** What the reader noticed on the way that the caller should say (on stderr). */
  warnings: string[];
  close(): Promise<void>;
}

export const natsCredentials = () => ({ user: process.env['NATS_USER'] ?? '', password: process.env['NATS_PASSWORD'] ?? '' });

/** Opens the history to fold, or says why it cannot (a usage or availability problem: exit code 2). */
export const openTenantHistory = async (options: HistoryOptions): Promise<TenantHistory | string> => (options.file !== undefined ? historyFromFile(options.file, options) : historyFromStream(options));

const historyFromStream = async (options: HistoryOptions): Promise<TenantHistory | string> => {
  if (options.tenantId === undefined) return 'a tenant id is needed to read its ledger';
  let connection: NatsConnection;
  try {
    connection = await connectNats(options.natsUrl, 'halm-cli', natsCredentials());
  } catch (error) {
    return `cannot reach NATS at ${options.natsUrl}: ${(error as Error).message}`;
  }
  try {
    const store = await LedgerStore.open(connection, topology(options.namespace));
    const head = await store.head(options.tenantId);
    if (head.height === 0) {
      await connection.close();
      return `tenant ${options.tenantId} has no ledger events`;
    }
    const last = Math.min(options.toHeight ?? head.height, head.height);
    return { tenantId: options.tenantId, total: last, events: store.events(options.tenantId, last), warnings: [], close: () => connection.close() };
  } catch (error) {
    await connection.close();
    return `cannot read the ledger stream: ${(error as Error).message}`;
  }
};

const historyFromFile = (file: string, options: HistoryOptions): TenantHistory | string => {
  let bundle: Partial<LedgerExport>;
  try {
    bundle = JSON.parse(readFileSync(file, 'utf8')) as Partial<LedgerExport>;
  } catch (error) {
    return `cannot read ${file}: ${(error as Error).message}`;
  }
  if (bundle?.format !== LEDGER_EXPORT_FORMAT || typeof bundle.tenantId !== 'string' || !Array.isArray(bundle.events)) return `${file} is not a ledger export (${LEDGER_EXPORT_FORMAT}) of ./halm export`;
  if (options.tenantId !== undefined && options.tenantId !== bundle.tenantId) return `${file} holds tenant ${bundle.tenantId}, not ${options.tenantId}`;
  if (bundle.events.length === 0) return `${file} holds no events`;
  const events = bundle.events.filter((event) => options.toHeight === undefined || event.height <= options.toHeight);
  const breaks = verifyChain(bundle.events, undefined, bundle.tenantId);
  // Replay judges what the events say; whether they are the ones the ledger wrote is the signatures' business.
  const warnings =
    breaks.length === 0
      ? []
      : [`the events of ${file} do not chain as recorded (${breaks.length} break${breaks.length === 1 ? '' : 's'}, first at height ${breaks[0]!.height}): ./halm verify ${file} names them`];
  return { tenantId: bundle.tenantId, total: events.length, events, warnings, close: async () => undefined };
};

/** Feeds every event of `history` to `apply`, with a progress bar on a terminal unless `quiet`; closes the history. */
export const foldHistory = async (history: TenantHistory, label: string, quiet: boolean, apply: (event: LedgerEvent) => unknown): Promise<void> => {
  const progress = progressBar(label, history.total, { quiet });
  let done = 0;
  try {
    for await (const event of history.events) {
      apply(event);
      progress.update((done += 1));
    }
  } finally {
    progress.finish();
    await history.close();
  }
};
