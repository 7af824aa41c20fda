/**
 * A small agent that pays and notifies through Halm, with the SDK's `guard`.
 *
 *   set -a && source .halm/demo.env && set +a
 *   node examples/typescript-agent/dist/agent.js
 *
 * It reads HALM_URL and HALM_API_KEY (what `./halm up` prints and writes to .halm/demo.env).
 * The payment system is a stand-in; the webhook goes to a receiver this script starts on
 * 127.0.0.1 (or to WEBHOOK_URL when set), and the kernel itself sends it.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Halm, HalmApprovalRequiredError, HalmApprovalTimeoutError, HalmDeniedError, HalmRejectedError } from '@halm/sdk';

const setting = (name: string): string => {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is not set: run ./halm up, then set -a && source .halm/demo.env && set +a`);
    process.exit(2);
  }
  return value;
};

/** Stands in for a payment provider. It deduplicates on the idempotency key, as a real one does, so a retry never pays twice. */
class PaymentProvider {
  private readonly transfers = new Map<string, { transferId: string; amount: number; recipient: string }>();

  transfer(idempotencyKey: string, amount: number, recipient: string): { transferId: string } {
    const existing = this.transfers.get(idempotencyKey);
    if (existing) return existing;
    const transfer = { transferId: `tr_${randomUUID().slice(0, 8)}`, amount, recipient };
    this.transfers.set(idempotencyKey, transfer);
    return transfer;
  }
}

/** A local webhook receiver, so that the example runs with no outside service: it remembers what it got. */
const startReceiver = async () => {
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, close: () => new Promise((resolve) => server.close(resolve)) };
};

const main = async () => {
  const halmUrl = setting('HALM_URL');
  const halm = new Halm({ baseUrl: halmUrl, apiKey: setting('HALM_API_KEY') });
  // 0 (the default): a payment that needs a human is left waiting; set it to wait that long for an approver.
  const approvalWaitMs = Number(process.env['HALM_APPROVAL_WAIT_MS'] ?? 0);
  const provider = new PaymentProvider();
  const agent = { agentId: 'typescript-agent', confidenceScore: 0.92 };

  const pay = halm.guard(
    'ledger:write',
    // Runs only once Halm allowed and the execution began; the execution's key goes to the provider.
    (payment, execution) => ({ ...provider.transfer(execution.idempotencyKey, payment.amount, payment.recipient), proposalId: execution.proposalId, executionId: execution.executionId }),
    {
      context: agent,
      waitForApproval: approvalWaitMs > 0,
      approvalTimeoutMs: approvalWaitMs,
      onApprovalRequired: (decision) =>
        console.log(
          `waiting up to ${approvalWaitMs} ms for an approver: proposal ${decision.proposalId}\n` +
            `  approve it: curl -s -X POST ${halmUrl}/api/kernel/proposals/${decision.proposalId}/approve -H "Authorization: Bearer $HALM_ADMIN_KEY" -H 'content-type: application/json' -d '{"reason":"checked"}'`,
        ),
      reportDetail: (receipt) => ({ transferId: receipt.transferId }),
    },
  );
  // The kernel sends webhooks itself (signed, retried, with the idempotency key): no function to guard.
  const notify = halm.guard('webhook:send', { context: agent });

  const receiver = process.env['WEBHOOK_URL'] ? undefined : await startReceiver();
  const webhookUrl = process.env['WEBHOOK_URL'] ?? `${receiver!.url}/payments`;

  const paid = await pay({ amount: 120, recipient: 'acme', currency: 'EUR', memo: 'Invoice 2026-031' });
  console.log(`paid 120 EUR to acme: transfer ${paid.transferId}, proposal ${paid.proposalId}, execution ${paid.executionId}`);

  const delivery = await notify({ url: webhookUrl, event: 'payment.sent', body: { transferId: paid.transferId, amount: 120, currency: 'EUR' } });
  const seen = receiver?.received.at(-1);
  console.log(
    `webhook payment.sent sent by the kernel: ${delivery.status}, HTTP ${String(delivery.result?.['status'])}, execution ${delivery.executionId}` +
      (seen ? `; the receiver got Idempotency-Key ${String(seen.headers['idempotency-key'])} and ${seen.body}` : ''),
  );

  try {
    // The agent is unsure of this invoice's total: below the policy's auto-commit threshold, a human decides.
    const unsure = await pay({ amount: 300, recipient: 'globex', currency: 'EUR', memo: 'Licence, total unclear' }, { context: { confidenceScore: 0.6 } });
    console.log(`paid 300 EUR to globex after approval: transfer ${unsure.transferId}, proposal ${unsure.proposalId}, execution ${unsure.executionId}`);
  } catch (error) {
    if (error instanceof HalmApprovalRequiredError) {
      console.log(`payment of 300 EUR to globex waits for a human approver: proposal ${error.proposalId} (${error.reasons.join('; ')})`);
    } else if (error instanceof HalmApprovalTimeoutError || error instanceof HalmRejectedError) {
      console.log(`payment of 300 EUR to globex not made: ${error.message}`);
    } else {
      throw error;
    }
  }

  try {
    // Far too unsure: the policy denies it outright.
    await pay({ amount: 75, recipient: 'initech', currency: 'EUR' }, { context: { confidenceScore: 0.1 } });
  } catch (error) {
    if (!(error instanceof HalmDeniedError)) throw error;
    console.log(`payment of 75 EUR to initech denied: proposal ${error.proposalId} (${error.reasons.join('; ')})`);
  }

  await receiver?.close();
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
