/**
 * The floor of the authorize benchmark: the least any service built from Halm's parts must
 * do to answer an authorize. An HTTP server (Fastify, the version Halm's gateway runs on)
 * takes the JSON request, asks another process over NATS (one request/reply through a queue
 * group, @nats-io/transport-node) for an answer, publishes the request and that answer to a
 * JetStream stream on file storage (one publish awaited for its ack, @nats-io/jetstream),
 * and answers with the reply and the stream sequence. Nothing else: no authentication, no
 * validation, no hash chain, no projection, no logs, no traces, no metrics.
 *
 * Run as two processes, like Halm's gateway and the service it asks:
 *   node floor-pipeline.js responder   (answers FLOOR_REQUEST_SUBJECT)
 *   node floor-pipeline.js server      (HTTP on 127.0.0.1:PORT, POST /authorize)
 * Each prints `ready` on a line of its own once it serves. Settings come from the environment:
 * NATS_URL, FLOOR_REQUEST_SUBJECT, FLOOR_STREAM_SUBJECT, PORT.
 */
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import Fastify from 'fastify';

const setting = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

/** The floor gets every client option Halm's services use to go faster (libs/messaging connectNats). */
const connectFast = (name: string) => connect({ servers: setting('NATS_URL'), name, noAsyncTraces: true });

const respond = async (): Promise<void> => {
  const connection = await connectFast('floor-responder');
  const subject = setting('FLOOR_REQUEST_SUBJECT');
  connection.subscribe(subject, {
    queue: 'floor-responder',
    callback: (error, message) => {
      if (error) return;
      const request = message.json<{ type?: string }>();
      message.respond(JSON.stringify({ status: 'ALLOW', allowed: true, type: request.type ?? null }));
    },
  });
  await connection.flush();
  process.once('SIGTERM', () => void connection.drain().then(() => process.exit(0)));
};

const serve = async (): Promise<void> => {
  const connection = await connectFast('floor-server');
  const stream = jetstream(connection);
  const requestSubject = setting('FLOOR_REQUEST_SUBJECT');
  const streamSubject = setting('FLOOR_STREAM_SUBJECT');
  const app = Fastify({ logger: false });
  app.post('/authorize', async (request) => {
    const reply = await connection.request(requestSubject, JSON.stringify(request.body), { timeout: 5_000 });
    const answer = reply.json<Record<string, unknown>>();
    const ack = await stream.publish(streamSubject, JSON.stringify({ request: request.body, answer }));
    return { ...answer, sequence: ack.seq };
  });
  await app.listen({ host: '127.0.0.1', port: Number(setting('PORT')) });
  process.once('SIGTERM', () => void app.close().then(() => connection.drain()).then(() => process.exit(0)));
};

const role = process.argv[2];
(role === 'server' ? serve() : role === 'responder' ? respond() : Promise.reject(new Error('usage: floor-pipeline.js server|responder'))).then(
  () => process.stdout.write('ready\n'),
  (error: unknown) => {
    process.stderr.write(`floor-pipeline ${role ?? ''}: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
