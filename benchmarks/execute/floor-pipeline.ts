/**
 * The floor of the execute benchmark: the least any service built from Halm's parts must do
 * to let an agent-performed execution begin. An HTTP server (Fastify, as Halm's gateway) takes
 * the JSON request and asks a second process over NATS (the executor's place), which asks a
 * third (the ledger's place) over NATS, which publishes the request to a JetStream stream on
 * file storage and awaits the ack; the answers travel back. Three processes, two NATS
 * requests, one JetStream publish: the hops of Halm's execute path and nothing else (no
 * token check, no lockdown check, no hash chain, no idempotency, no projection, no logs).
 *
 *   node floor-pipeline.js ledger|executor|server
 * Each prints `ready` once it serves. Environment: NATS_URL, FLOOR_EXECUTE_SUBJECT,
 * FLOOR_APPEND_SUBJECT, FLOOR_STREAM_SUBJECT, PORT.
 */
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import Fastify from 'fastify';

const setting = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const ledger = async (): Promise<void> => {
  const connection = await connect({ servers: setting('NATS_URL'), name: 'floor-ledger' });
  const stream = jetstream(connection);
  const streamSubject = setting('FLOOR_STREAM_SUBJECT');
  connection.subscribe(setting('FLOOR_APPEND_SUBJECT'), {
    queue: 'floor-ledger',
    callback: (error, message) => {
      if (error) return;
      void stream.publish(streamSubject, message.data).then(
        (ack) => message.respond(JSON.stringify({ sequence: ack.seq })),
        () => message.respond(JSON.stringify({ error: 'publish failed' })),
      );
    },
  });
  await connection.flush();
  process.once('SIGTERM', () => void connection.drain().then(() => process.exit(0)));
};

const executor = async (): Promise<void> => {
  const connection = await connect({ servers: setting('NATS_URL'), name: 'floor-executor' });
  const appendSubject = setting('FLOOR_APPEND_SUBJECT');
  connection.subscribe(setting('FLOOR_EXECUTE_SUBJECT'), {
    queue: 'floor-executor',
    callback: (error, message) => {
      if (error) return;
      void connection.request(appendSubject, message.data, { timeout: 5_000 }).then(
        (reply) => message.respond(JSON.stringify({ status: 'AWAITING_REPORT', ...reply.json<Record<string, unknown>>() })),
        () => message.respond(JSON.stringify({ error: 'append failed' })),
      );
    },
  });
  await connection.flush();
  process.once('SIGTERM', () => void connection.drain().then(() => process.exit(0)));
};

const serve = async (): Promise<void> => {
  const connection = await connect({ servers: setting('NATS_URL'), name: 'floor-server' });
  const executeSubject = setting('FLOOR_EXECUTE_SUBJECT');
  const app = Fastify({ logger: false });
  app.post('/execute', async (request) => (await connection.request(executeSubject, JSON.stringify(request.body), { timeout: 5_000 })).json<Record<string, unknown>>());
  await app.listen({ host: '127.0.0.1', port: Number(setting('PORT')) });
  process.once('SIGTERM', () => void app.close().then(() => connection.drain()).then(() => process.exit(0)));
};

const ROLES: Record<string, () => Promise<void>> = { ledger, executor, server: serve };
const role = process.argv[2] ?? '';
(ROLES[role] ?? (() => Promise.reject(new Error('usage: floor-pipeline.js ledger|executor|server'))))().then(
  () => process.stdout.write('ready\n'),
  (error: unknown) => {
    process.stderr.write(`execute floor ${role}: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
