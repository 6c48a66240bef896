import type { Message } from '@aws-sdk/client-sqs';

/**
 * What an input event says about its SQS message. Dapr's binding sends none; these let an app
 * recognise a redelivery (SQS delivers at least once): the message id, how many times SQS has
 * handed it out, when it was sent, and for FIFO queues its group and deduplication id. String
 * message attributes come along as `attribute.<name>`.
 */
export function sqsEventMetadata(message: Message): Record<string, string> {
  const metadata: Record<string, string> = {};
  if (message.MessageId) metadata['messageId'] = message.MessageId;
  const attributes = message.Attributes ?? {};
  const system: [string, string][] = [
    ['ApproximateReceiveCount', 'approximateReceiveCount'],
    ['SentTimestamp', 'sentTimestamp'],
    ['MessageGroupId', 'messageGroupId'],
    ['MessageDeduplicationId', 'messageDeduplicationId'],
    ['SequenceNumber', 'sequenceNumber'],
  ];
  for (const [name, key] of system) {
    const value = attributes[name as keyof typeof attributes];
    if (value !== undefined) metadata[key] = value;
  }
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    if (value.StringValue !== undefined && (value.DataType === 'String' || value.DataType?.startsWith('String.') || value.DataType?.startsWith('Number'))) {
      metadata[`attribute.${name}`] = value.StringValue;
    }
  }
  return metadata;
}
