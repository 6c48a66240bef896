import type { Logger } from '@mecha/core';
import type { SidecarOptions } from '../config/options.ts';
import { GrpcAppConnection } from '../grpc/app-channel/grpc-app-connection.ts';
import type { AppConnection } from './app-connection.ts';
import { HttpAppConnection } from './http-app-connection.ts';

/** The connection to the app `--app-protocol` asks for; none without `--app-port`. */
export function openAppConnection(options: SidecarOptions, logger: Logger): AppConnection | undefined {
  if (!options.appPort) return undefined;
  const common = {
    host: options.appChannelAddress,
    port: options.appPort,
    appApiToken: options.appApiToken,
    maxConcurrency: options.appMaxConcurrency,
    appId: options.appId,
  };
  const { appProtocol } = options;
  if (appProtocol === 'grpc' || appProtocol === 'grpcs') {
    return new GrpcAppConnection({ ...common, tls: appProtocol === 'grpcs', maxMessageBytes: options.maxBodyBytes }, logger);
  }
  if (appProtocol === 'h2c') {
    // daprd's h2c is HTTP (not gRPC) over cleartext HTTP/2; h2c servers also accept HTTP/1.1, which the channel speaks.
    logger.warn('--app-protocol h2c: calling the app over HTTP/1.1 (cleartext HTTP/2 to the app is not built yet)');
  }
  return new HttpAppConnection({ ...common, protocol: appProtocol === 'https' ? 'https' : 'http' }, logger);
}
