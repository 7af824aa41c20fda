/**
 * A LangChain.js tool guarded by Halm, driven the way an agent executor drives it, offline.
 *
 *   set -a && source .halm/demo.env && set +a
 *   node examples/framework-tool/dist/agent.js
 *
 * The tool `transfer_funds` is an ordinary `@langchain/core` tool whose function is wrapped
 * by the SDK's `guard`: every call the model makes is authorized, executed, performed and
 * reported through Halm, and a refusal goes back to the model as the tool's answer. The
 * model is scripted (no LLM, no API key): it asks for two transfers, then sums up what the
 * tool answered, which is all a tool-calling loop needs from it.
 */
import { randomUUID } from 'node:crypto';
import { BaseChatModel, type BindToolsInput } from '@langchain/core/language_models/chat_models';
import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';
import { tool } from '@langchain/core/tools';
import { Halm, HalmApprovalRequiredError, HalmDeniedError } from '@halm/sdk';

const setting = (name: string): string => {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is not set: run ./halm up, then set -a && source .halm/demo.env && set +a`);
    process.exit(2);
  }
  return value;
};

/**
 * A chat model that answers from a script, one turn per call: each turn sees the conversation
 * so far. It stands in for an LLM so that the example runs with no key and no network.
 */
class ScriptedChatModel extends BaseChatModel {
  private turn = 0;

  constructor(private readonly script: ((messages: BaseMessage[]) => AIMessage)[]) {
    super({});
  }

  _llmType(): string {
    return 'scripted';
  }

  override bindTools(tools: BindToolsInput[]): this {
    console.log(`(model bound to tools: ${tools.map((bound) => (bound as { name?: string }).name).join(', ')})`);
    return this;
  }

  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    const next = this.script[this.turn++];
    if (!next) throw new Error('the script has no more turns');
    const message = next(messages);
    return { generations: [{ text: typeof message.content === 'string' ? message.content : '', message }] };
  }
}

interface TransferInput {
  amount: number;
  recipient: string;
  memo?: string;
  confidence: number;
}

/** Stands in for a bank: deduplicates on the idempotency key, so a retried transfer is made once. */
const bank = new Map<string, string>();
const sendMoney = (idempotencyKey: string): string => {
  if (!bank.has(idempotencyKey)) bank.set(idempotencyKey, `tr_${randomUUID().slice(0, 8)}`);
  return bank.get(idempotencyKey)!;
};

const main = async () => {
  const halm = new Halm({ baseUrl: setting('HALM_URL'), apiKey: setting('HALM_API_KEY') });

  const guardedTransfer = halm.guard(
    'ledger:write',
    (payment, execution) => ({ transferId: sendMoney(execution.idempotencyKey), proposalId: execution.proposalId, executionId: execution.executionId }),
    // An agent loop should not block on a human: a held transfer is reported back to the model.
    { context: { agentId: 'langchain-agent' }, waitForApproval: false, reportDetail: (receipt) => ({ transferId: receipt.transferId }) },
  );

  const transferFunds = tool(
    async (args, config) => {
      // LangChain has checked the arguments against the schema below before this runs.
      const input = args as TransferInput;
      const payment = { amount: input.amount, recipient: input.recipient, currency: 'EUR', ...(input.memo ? { memo: input.memo } : {}) };
      try {
        // The model's own confidence is what the policy's auto-commit threshold is compared with.
        const receipt = await guardedTransfer(payment, { context: { confidenceScore: input.confidence }, justification: `LangChain tool call ${config.toolCall?.id ?? 'without id'}` });
        return `Sent ${input.amount} EUR to ${input.recipient}: transfer ${receipt.transferId} (Halm proposal ${receipt.proposalId}, execution ${receipt.executionId})`;
      } catch (error) {
        // The model gets Halm's answer and can tell the user; anything else is a real failure.
        if (error instanceof HalmDeniedError) return `Halm denied the transfer (proposal ${error.proposalId}): ${error.reasons.join('; ')}`;
        if (error instanceof HalmApprovalRequiredError) return `The transfer waits for a human approver in Halm (proposal ${error.proposalId}): ${error.reasons.join('; ')}`;
        throw error;
      }
    },
    {
      name: 'transfer_funds',
      description: 'Transfer money in EUR to a recipient. Every transfer is authorized by Halm first.',
      schema: {
        type: 'object',
        properties: {
          amount: { type: 'number', exclusiveMinimum: 0, description: 'EUR' },
          recipient: { type: 'string', minLength: 1 },
          memo: { type: 'string' },
          confidence: { type: 'number', minimum: 0, maximum: 1, description: 'How sure you are that the user asked for exactly this transfer, 0 to 1' },
        },
        required: ['amount', 'recipient', 'confidence'],
        additionalProperties: false,
      },
    },
  );

  const model = new ScriptedChatModel([
    () =>
      new AIMessage({
        content: '',
        tool_calls: [
          { id: 'call_1', name: 'transfer_funds', args: { amount: 120, recipient: 'acme', memo: 'Invoice 2026-031', confidence: 0.95 }, type: 'tool_call' },
          { id: 'call_2', name: 'transfer_funds', args: { amount: 300, recipient: 'globex', memo: 'Licence', confidence: 0.6 }, type: 'tool_call' },
        ],
      }),
    (messages) =>
      new AIMessage(
        `Done. ${messages
          .filter((message): message is ToolMessage => message instanceof ToolMessage)
          .map((message) => String(message.content))
          .join(' ')}`,
      ),
  ]).bindTools([transferFunds]);

  // The agent loop: call the model, run every tool call it makes, hand the answers back, until it answers in words.
  const messages: BaseMessage[] = [new HumanMessage('Pay acme 120 EUR for invoice 2026-031, and globex what we owe for the licence, about 300 EUR I think.')];
  console.log(`user: ${String(messages[0]!.content)}`);
  for (;;) {
    const reply = await model.invoke(messages);
    messages.push(reply);
    if (!reply.tool_calls?.length) {
      console.log(`assistant: ${String(reply.content)}`);
      break;
    }
    for (const call of reply.tool_calls) {
      console.log(`assistant calls ${call.name} ${JSON.stringify(call.args)} (${call.id})`);
      const answer: ToolMessage = await transferFunds.invoke({ ...call, type: 'tool_call' as const });
      console.log(`tool ${call.name} (${call.id}): ${String(answer.content)}`);
      messages.push(answer);
    }
  }
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
