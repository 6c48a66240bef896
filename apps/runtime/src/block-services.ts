import { outputBindingNotFound, type BindingsService } from '@mecha/bindings';
import { configurationStoreNotFound, configurationStoresNotConfigured, type ConfigurationService } from '@mecha/configuration';
import { MechaError } from '@mecha/core';
import { lockStoreNotFound, lockStoresNotConfigured, type LockService } from '@mecha/lock';
import type { PubSubService } from '@mecha/pubsub';
import { secretStoreNotFound, secretStoresNotConfigured, type SecretsService } from '@mecha/secrets';
import type { StateService } from '@mecha/state';

/**
 * The live block services of one sidecar, by component name. Both API adapters (HTTP now,
 * gRPC next) look components up here, so "unknown store" answers the same everywhere.
 */
export class BlockServices {
  readonly appId: string;
  readonly state = new Map<string, StateService>();
  readonly pubsub = new Map<string, PubSubService>();
  readonly secrets = new Map<string, SecretsService>();
  readonly locks = new Map<string, LockService>();
  readonly configuration = new Map<string, ConfigurationService>();
  readonly bindings = new Map<string, BindingsService>();

  constructor(appId: string) {
    this.appId = appId;
  }

  stateStore(name: string): StateService {
    const found = this.state.get(name);
    if (found) return found;
    if (this.state.size === 0) {
      throw new MechaError('ERR_STATE_STORE_NOT_CONFIGURED', 'failed-precondition', `state store ${name} is not configured`, {
        reason: 'DAPR_STATE_NOT_CONFIGURED',
        metadata: { appID: this.appId },
      });
    }
    throw new MechaError('ERR_STATE_STORE_NOT_FOUND', 'invalid-argument', `state store ${name} is not found`, {
      reason: 'DAPR_STATE_NOT_FOUND',
      metadata: { appID: this.appId },
    });
  }

  pubsubComponent(name: string, requestMetadata: Record<string, string> = {}): PubSubService {
    if (!name) {
      throw new MechaError('ERR_PUBSUB_EMPTY', 'not-found', 'pubsub name is empty', { reason: 'DAPR_PUBSUB_NAME_EMPTY' });
    }
    const found = this.pubsub.get(name);
    if (found) return found;
    if (this.pubsub.size === 0) {
      throw new MechaError('ERR_PUBSUB_NOT_CONFIGURED', 'invalid-argument', `pubsub ${name} is not configured`, {
        reason: 'DAPR_PUBSUB_NOT_CONFIGURED',
      });
    }
    throw new MechaError('ERR_PUBSUB_NOT_FOUND', 'not-found', `pubsub ${name} is not found`, {
      reason: 'DAPR_PUBSUB_NOT_FOUND',
      metadata: requestMetadata,
    });
  }

  secretStore(name: string): SecretsService {
    const found = this.secrets.get(name);
    if (found) return found;
    throw this.secrets.size === 0 ? secretStoresNotConfigured() : secretStoreNotFound(name);
  }

  /** An output binding by name; an unknown name or an input-only binding is daprd's ERR_INVOKE_OUTPUT_BINDING. */
  outputBinding(name: string): BindingsService {
    const found = this.bindings.get(name);
    if (found?.isOutput) return found;
    throw outputBindingNotFound(name);
  }

  lockStore(name: string): LockService {
    const found = this.locks.get(name);
    if (found) return found;
    throw this.locks.size === 0 ? lockStoresNotConfigured(name) : lockStoreNotFound(name);
  }

  configurationStore(name: string): ConfigurationService {
    const found = this.configuration.get(name);
    if (found) return found;
    throw this.configuration.size === 0 ? configurationStoresNotConfigured() : configurationStoreNotFound(name);
  }
}
