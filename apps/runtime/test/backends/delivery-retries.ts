/**
 * Dapr's Resiliency resource for deliveries from one pub/sub: the sidecar retries a delivery
 * the app failed `maxRetries` times, `duration` apart, then hands the message back to the
 * broker. Short retries make the broker's own redelivery (the component's nack path) part
 * of every failure test instead of the sidecar's retries hiding it.
 */
export function deliveryRetries(pubsub: string, duration = '100ms', maxRetries = 2): string {
  return `apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata:
  name: delivery-retries
spec:
  policies:
    retries:
      brief:
        policy: constant
        duration: ${duration}
        maxRetries: ${maxRetries}
  targets:
    components:
      ${pubsub}:
        inbound:
          retry: brief
`;
}
