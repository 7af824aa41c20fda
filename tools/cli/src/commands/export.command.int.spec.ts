import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import type { LedgerEvent } from '@halm/contracts';
import { chain, eventLeafHash, type LedgerExport, merkleRoot, publicKeyId, publicKeyOf, signCheckpoint, signingKeyFrom } from '@halm/domain';
import { CheckpointStore, ensureCheckpointStream, ensureLedgerStream, LedgerStore } from '@halm/messaging';
import { newSigningKey, openTestNats, testNatsUrl, type TestNats } from '@halm/testing';
import { exportLedger } from './export.command';
import { ledgerPublicKeys, verifyExportFile } from './verify.command';

const signingKey = newSigningKey();
const publicKey = publicKeyOf(signingKeyFrom(signingKey));

/** Five events of tenant-a and checkpoints at 3 and 5 on the streams, as a ledger would have left them. */
const seed = async (nats: TestNats): Promise<LedgerEvent[]> => {
  const store = await LedgerStore.open(nats.connection, nats.topology);
  const checkpoints = await CheckpointStore.open(nats.connection, nats.topology);
  const events: LedgerEvent[] = [];
  for (let index = 1; index <= 5; index += 1) {
    const head = await store.head('tenant-a');
    const event = chain(head, { tenantId: 'tenant-a', eventId: `e${index}`, type: 'DecisionRecorded', recordedAt: '2026-03-15T10:00:00.000Z', data: { amount: index } });
    await store.append(event, head.sequence, `tenant-a:e${index}`);
    events.push(event);
    if (index === 3 || index === 5) {
      const body = { tenantId: 'tenant-a', treeSize: index, rootHash: merkleRoot(events.map(eventLeafHash)).toString('hex'), issuedAt: `2026-03-15T11:0${index}:00.000Z` };
      await checkpoints.publish(signCheckpoint(body, signingKeyFrom(signingKey), publicKeyId(publicKey)));
    }
  }
  return events;
};

const workspace = () => {
  const directory = mkdtempSync(join(tmpdir(), 'halm-export-'));
  return { directory, [Symbol.dispose]: () => rmSync(directory, { recursive: true, force: true }) };
};

const captured = () => {
  const lines: string[] = [];
  return { lines, log: (line: string) => void lines.push(line), fail: (line: string) => (lines.push(line), 2) };
};

const openCheckpointNats = () =>
  openTestNats(async (connection, names) => {
    const manager = await jetstreamManager(connection);
    await ensureLedgerStream(manager, names);
    await ensureCheckpointStream(manager, names);
  });

describe('./halm export and ./halm verify', () => {
  it('exports a tenant that verifies with the public key, and names the event broken in a doctored copy', async () => {
    await using nats = await openCheckpointNats();
    using files = workspace();
    await seed(nats);
    const out = join(files.directory, 'tenant-a-ledger-export.json');
    const exporting = captured();

    const exported = await exportLedger({ natsUrl: testNatsUrl(), namespace: nats.topology.namespace, tenantId: 'tenant-a', out, checkpointTimeoutMs: 500 }, exporting.log);

    expect(exported).toBe(0);
    expect(exporting.lines.at(-1)).toBe(`exported 5 events (heights 1 to 5) and 2 checkpoints (latest: size 5, issued 2026-03-15T11:05:00.000Z) of tenant tenant-a to ${out}`);
    const bundle = JSON.parse(readFileSync(out, 'utf8')) as LedgerExport;
    expect(bundle.consistencyProofs.map(({ fromSize, toSize }) => [fromSize, toSize])).toEqual([[3, 5]]);

    const honest = captured();
    expect(verifyExportFile({ file: out, publicKeys: [publicKey], json: false }, honest.log, honest.fail)).toBe(0);
    expect(honest.lines[1]).toMatch(/^OK: /);

    const doctored = join(files.directory, 'doctored.json');
    (bundle.events[3] as LedgerEvent).data = { amount: 4_000_000 };
    writeFileSync(doctored, JSON.stringify(bundle));
    const broken = captured();
    expect(verifyExportFile({ file: doctored, publicKeys: [publicKey], json: false }, broken.log, broken.fail)).toBe(1);
    expect(broken.lines).toContain('  EVENT_ALTERED: the event at height 4 (e4) does not hash to its recorded hash: it was altered after it was recorded');

    const truncated = join(files.directory, 'truncated.json');
    writeFileSync(truncated, JSON.stringify({ ...bundle, events: JSON.parse(readFileSync(out, 'utf8')).events.slice(0, 4) }));
    const asJson = captured();
    expect(verifyExportFile({ file: truncated, publicKeys: [publicKey], json: true }, asJson.log, asJson.fail)).toBe(1);
    expect(JSON.parse(asJson.lines.join('\n'))).toMatchObject({ ok: false, problems: [{ code: 'TAIL_TRUNCATED', height: 5, treeSize: 5 }] });
  });

  it('trusts no key but the ones given, and tells a usage error from a broken export', async () => {
    await using nats = await openCheckpointNats();
    using files = workspace();
    await seed(nats);
    const out = join(files.directory, 'export.json');
    await exportLedger({ natsUrl: testNatsUrl(), namespace: nats.topology.namespace, tenantId: 'tenant-a', out, checkpointTimeoutMs: 0 }, () => undefined);
    const stranger = publicKeyOf(signingKeyFrom(newSigningKey()));

    const withOtherKey = captured();
    expect(verifyExportFile({ file: out, publicKeys: [stranger], json: false }, withOtherKey.log, withOtherKey.fail)).toBe(1);
    expect(withOtherKey.lines.filter((line) => line.includes('CHECKPOINT_UNKNOWN_KEY'))).toHaveLength(2);

    const usage = captured();
    expect(verifyExportFile({ file: out, publicKeys: [], json: false }, usage.log, usage.fail)).toBe(2);
    expect(verifyExportFile({ file: join(files.directory, 'missing.json'), publicKeys: [publicKey], json: false }, usage.log, usage.fail)).toBe(2);
    expect(verifyExportFile({ file: out, publicKeys: ['not-a-key'], json: false }, usage.log, usage.fail)).toBe(2);

    const notJson = join(files.directory, 'not-json.json');
    writeFileSync(notJson, '{"events": [');
    const unreadable = captured();
    expect(verifyExportFile({ file: notJson, publicKeys: [publicKey], json: false }, unreadable.log, unreadable.fail)).toBe(1);
    expect(unreadable.lines.some((line) => line.startsWith('  BUNDLE_MALFORMED: the file is not JSON'))).toBe(true);
  });

  it('refuses to export a tenant without events', async () => {
    await using nats = await openCheckpointNats();
    using files = workspace();
    const output = captured();

    const code = await exportLedger({ natsUrl: testNatsUrl(), namespace: nats.topology.namespace, tenantId: 'nobody', out: join(files.directory, 'x.json'), checkpointTimeoutMs: 0 }, output.log);

    expect(code).toBe(1);
    expect(output.lines).toEqual(['tenant nobody has no ledger events: nothing exported']);
  });

  it('finds the public key in the local env file when no ledger answers', async () => {
    await using nats = await openTestNats();
    using files = workspace();
    const envFile = join(files.directory, 'demo.env');
    writeFileSync(envFile, `LEDGER_SIGNING_KEY=${signingKey}\n`);

    const found = await ledgerPublicKeys({ natsUrl: testNatsUrl(), namespace: nats.topology.namespace, envFile, timeoutMs: 200 });

    expect(found).toEqual({ keys: [{ keyId: publicKeyId(publicKey), publicKey, current: true }], source: envFile });
  });
});
