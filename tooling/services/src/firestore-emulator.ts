/**
 * Runs the Firestore emulator (@firestore-emulator/server) until SIGTERM/SIGINT.
 *   node src/firestore-emulator.ts [--host 127.0.0.1] [--port 8080]
 * The package's own start() binds every interface; we bind the host given (loopback by
 * default) on its gRPC server instead, using the grpc-js copy the emulator itself depends on.
 */
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { FirestoreServer } from '@firestore-emulator/server';

interface GrpcServer {
  bindAsync(address: string, credentials: unknown, callback: (error: Error | null, port: number) => void): void;
  tryShutdown(callback: (error?: Error) => void): void;
}
interface GrpcModule {
  ServerCredentials: { createInsecure(): unknown };
}

const { values } = parseArgs({
  options: { host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '8080' } },
});
const host = values.host;
const port = Number(values.port);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`firestore-emulator: invalid --port ${values.port}`);
  process.exit(2);
}

const emulatorRequire = createRequire(createRequire(import.meta.url).resolve('@firestore-emulator/server'));
const grpc = emulatorRequire('@grpc/grpc-js') as GrpcModule;
const emulator = new FirestoreServer();
// `server` is private in the typings but is the grpc-js Server the emulator registered on.
const grpcServer = (emulator as unknown as { server: GrpcServer }).server;

await new Promise<void>((resolve, reject) => {
  grpcServer.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (error) => {
    if (error) reject(error);
    else resolve();
  });
});
console.log(`firestore-emulator: listening on ${host}:${port}`);

function shutdown(): void {
  grpcServer.tryShutdown(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
