import { waitFor } from './mechad-process.ts';

/** What a sidecar says about one pub/sub's broker, through both of its health surfaces. */
export interface BrokerHealthReport {
  /** `/v1.0/healthz/outbound`: 204, or 500 with its error code and message. */
  outbound: { status: number; errorCode?: string; message?: string };
  /** The component's `health` in `/v1.0/metadata`. */
  metadata: { status?: string; message?: string } | undefined;
}

export async function brokerHealth(sidecarUrl: string, pubsub: string): Promise<BrokerHealthReport> {
  const outboundResponse = await fetch(`${sidecarUrl}/v1.0/healthz/outbound`, { signal: AbortSignal.timeout(10_000) });
  const text = await outboundResponse.text();
  const error = text ? (JSON.parse(text) as { errorCode?: string; message?: string }) : {};
  const metadataResponse = await fetch(`${sidecarUrl}/v1.0/metadata`, { signal: AbortSignal.timeout(10_000) });
  const metadata = (await metadataResponse.json()) as { components?: { name: string; health?: { status?: string; message?: string } }[] };
  return {
    outbound: { status: outboundResponse.status, ...error },
    metadata: metadata.components?.find((c) => c.name === pubsub)?.health,
  };
}

/** Both surfaces report the broker down: outbound 500 naming the pub/sub, metadata DOWN. */
export function reportsDown(report: BrokerHealthReport, pubsub: string): boolean {
  return (
    report.outbound.status === 500 &&
    report.outbound.errorCode === 'ERR_OUTBOUND_HEALTH_NOT_READY' &&
    (report.outbound.message ?? '').includes(`${pubsub}:`) &&
    report.metadata?.status === 'DOWN'
  );
}

export function reportsUp(report: BrokerHealthReport): boolean {
  return report.outbound.status === 204 && report.metadata?.status === 'UP';
}

/** Polls until the sidecar reports the broker down (or up); resolves with that report. */
export async function waitForBrokerHealth(sidecarUrl: string, pubsub: string, wanted: 'DOWN' | 'UP', timeoutMs = 60_000): Promise<BrokerHealthReport> {
  let last: BrokerHealthReport | undefined;
  try {
    return await waitFor(
      async () => {
        last = await brokerHealth(sidecarUrl, pubsub);
        return (wanted === 'DOWN' ? reportsDown(last, pubsub) : reportsUp(last)) ? last : undefined;
      },
      `${sidecarUrl} to report pubsub ${pubsub} ${wanted}`,
      timeoutMs,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last report: ${JSON.stringify(last)}`);
  }
}
