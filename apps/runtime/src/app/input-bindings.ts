import type { BindingsService } from '@mecha/bindings';
import { errorMessage, type Logger } from '@mecha/core';
import type { BlockServices } from '../block-services.ts';
import type { AppConnection } from './app-connection.ts';

/**
 * Starts reading every input binding the app serves, as daprd does once the app is ready: a
 * binding whose `direction` metadata names input is read without asking; the others only when
 * the app says it takes their events (asking may take `probeTimeoutMs`, daprd's
 * `--app-binding-options-timeout`). Returns the bindings now delivering, for `stop()` at shutdown.
 */
export async function startInputBindings(
  services: BlockServices,
  app: Pick<AppConnection, 'bindings'> | undefined,
  logger: Logger,
  signal: AbortSignal,
  probeTimeoutMs = 3000,
): Promise<BindingsService[]> {
  const started: BindingsService[] = [];
  for (const binding of services.bindings.values()) {
    if (!binding.isInput) continue;
    if (!app) {
      logger.warn({ binding: binding.name }, 'input binding has no app to deliver to (--app-port): not reading it');
      continue;
    }
    const target = { name: binding.name, route: binding.route };
    let subscribed = binding.inputDeclared;
    if (!subscribed) {
      try {
        subscribed = await app.bindings.subscribed(target, AbortSignal.any([signal, AbortSignal.timeout(probeTimeoutMs)]));
      } catch (error) {
        if (signal.aborted) return started;
        logger.error({ binding: binding.name, route: binding.route, error: errorMessage(error) }, 'could not ask the app whether it serves the input binding: not reading it');
        continue;
      }
    }
    if (!subscribed) {
      logger.info({ binding: binding.name, route: binding.route }, 'the app does not serve this input binding: not reading it');
      continue;
    }
    if (signal.aborted) return started;
    try {
      await binding.start((event) => app.bindings.deliver(target, event));
      started.push(binding);
      logger.info({ binding: binding.name, route: binding.route }, 'reading input binding');
    } catch (error) {
      logger.error({ binding: binding.name, error: errorMessage(error) }, 'input binding failed to start reading');
    }
  }
  return started;
}
