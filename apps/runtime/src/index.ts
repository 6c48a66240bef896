export { main } from './main.ts';
export { Sidecar } from './sidecar.ts';
export { resolveOptions, mechaHome, type SidecarOptions } from './config/options.ts';
export { parseDaprdFlags, daprdFlags, type ParsedFlags } from './config/daprd-flags.ts';
export { bundledComponents } from './bundled-components.ts';
export { daprProtos, type DaprProtos } from './grpc/protos.ts';
export { capabilitiesOf } from './capabilities.ts';
