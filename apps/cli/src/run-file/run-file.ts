import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { CliError } from '../cli-error.ts';
import type { MechaHome } from '../environment/mecha-home.ts';
import { resolveUserPath } from '../environment/mecha-home.ts';
import {
  LOG_DESTINATIONS,
  DEFAULT_APP_CHANNEL_ADDRESS,
  type AppRunConfig,
  type LogDestination,
} from '../run/app-run-config.ts';
import { defaultConfigFile, defaultResourcesPaths, parseAppProtocol } from '../run/config-from-flags.ts';
import { RUN_FILE_FIELD_BY_KEY, type RunFileField } from './run-file-fields.ts';

/** The run file `dapr run -f <dir>` looks for in a folder. */
export const DEFAULT_RUN_FILE_NAME = 'dapr.yaml';

export interface RunFileContext {
  /** The user's directory: a relative run file path resolves against it. */
  cwd: string;
  env: NodeJS.ProcessEnv;
  home: MechaHome;
  warn: (message: string) => void;
  /** Reads the run file given as `-`. */
  readStdin?: () => Promise<string>;
}

export interface LoadedRunFile {
  /** Absolute path of the run file, or `-` when read from stdin. */
  path: string;
  apps: AppRunConfig[];
}

type FieldValue = string | number | boolean | string[] | Record<string, string>;
type Section = Map<string, FieldValue>;

/** `-f <dir>` means `<dir>/dapr.yaml`; a file must be YAML; `-` is stdin. Returns an absolute path. */
export function locateRunFile(given: string, cwd: string, env: NodeJS.ProcessEnv): string {
  if (given === '-') return given;
  const resolved = resolveUserPath(given, cwd, env);
  if (!existsSync(resolved)) throw new CliError(`run file not found: ${resolved}`);
  if (statSync(resolved).isDirectory()) {
    const inside = path.join(resolved, DEFAULT_RUN_FILE_NAME);
    if (!existsSync(inside)) throw new CliError(`no ${DEFAULT_RUN_FILE_NAME} in folder ${resolved}`);
    return inside;
  }
  if (!/\.ya?ml$/i.test(resolved)) throw new CliError(`run file "${resolved}" is not a YAML file`);
  return resolved;
}

export async function loadRunFile(given: string, context: RunFileContext): Promise<LoadedRunFile> {
  const located = locateRunFile(given, context.cwd, context.env);
  if (located === '-') {
    if (context.readStdin === undefined) throw new CliError('reading a run file from stdin is not available here');
    return parseRunFile(await context.readStdin(), '-', context.cwd, context);
  }
  return parseRunFile(await readFile(located, 'utf8'), located, path.dirname(located), context);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'a mapping' : `${typeof value} ${JSON.stringify(value)}`;
}

function readValue(field: RunFileField, raw: unknown, where: string): FieldValue {
  const fail = (expected: string): never => {
    throw new CliError(`${where}.${field.key}: expected ${expected}, got ${describe(raw)}`);
  };
  switch (field.kind) {
    case 'string':
    case 'path':
      if (typeof raw === 'string') return raw;
      if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
      return fail('a string');
    case 'int':
      if (typeof raw === 'number' && Number.isInteger(raw)) return raw;
      if (typeof raw === 'string' && /^-?\d+$/.test(raw.trim())) return Number.parseInt(raw, 10);
      return fail('an integer');
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === 'false') return raw === 'true';
      return fail('true or false');
    case 'stringList':
    case 'pathList':
      if (!Array.isArray(raw)) return fail('a list of strings');
      return raw.map((item: unknown) => {
        if (typeof item === 'string') return item;
        if (typeof item === 'number' || typeof item === 'boolean') return String(item);
        return fail('a list of strings');
      });
    case 'env': {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('a mapping of names to values');
      const env: Record<string, string> = {};
      for (const [name, value] of Object.entries(raw)) {
        if (value !== null && typeof value === 'object') return fail('a mapping of names to scalar values');
        env[name] = value === null || value === undefined ? '' : String(value as string | number | boolean);
      }
      return env;
    }
  }
}

function readSection(raw: unknown, where: string, scope: 'common' | 'app', context: RunFileContext): Section {
  const section: Section = new Map();
  if (raw === undefined || raw === null) return section;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new CliError(`${where}: expected a mapping, got ${describe(raw)}`);
  for (const [key, value] of Object.entries(raw)) {
    const field = RUN_FILE_FIELD_BY_KEY.get(key);
    if (field === undefined) {
      context.warn(`${where}: unknown field "${key}" ignored`);
      continue;
    }
    if (scope === 'common' && field.scope === 'app') {
      context.warn(`${where}: "${key}" can only be set per app; ignored in common`);
      continue;
    }
    if (value === null || value === undefined) continue;
    if (field.ignored !== undefined) {
      context.warn(`${where}: "${key}" has no effect in Mecha (${field.ignored})`);
      continue;
    }
    section.set(key, readValue(field, value, where));
  }
  return section;
}

/** Go's "zero value": an app's empty or zero field falls back to `common`, as in the dapr CLI. */
function isZero(value: FieldValue | undefined): boolean {
  if (value === undefined || value === '' || value === 0 || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value).length === 0;
}

function existing(given: string, base: string, what: string, where: string, context: RunFileContext): string {
  const resolved = resolveUserPath(given, base, context.env);
  if (!existsSync(resolved)) throw new CliError(`${where}: ${what} not found: ${resolved}`);
  return resolved;
}

/** A section's resources folders (`resourcesPaths` plus the deprecated `resourcesPath`), resolved against `base`. */
function resourcesOf(section: Section, base: string, where: string, context: RunFileContext): string[] {
  const listed = (section.get('resourcesPaths') as string[] | undefined) ?? [];
  const single = section.get('resourcesPath') as string | undefined;
  const all = single !== undefined && single !== '' ? [single, ...listed] : listed;
  return all.map((given) => existing(given, base, 'resources path', where, context));
}

function configOf(section: Section, base: string, where: string, context: RunFileContext): string | undefined {
  const given = section.get('configFilePath') as string | undefined;
  return given === undefined || given === '' ? undefined : existing(given, base, 'config file', where, context);
}

function logDestination(value: FieldValue | undefined, fallback: LogDestination, where: string): LogDestination {
  if (value === undefined || value === '') return fallback;
  if ((LOG_DESTINATIONS as readonly string[]).includes(String(value))) return value as LogDestination;
  throw new CliError(`${where}: invalid log destination "${String(value)}"; expected one of ${LOG_DESTINATIONS.join(', ')}`);
}

/** -1 (pick a free port) for an absent, zero or negative port, as the dapr CLI's schema defaults do. */
function portOrFree(value: FieldValue | undefined): number {
  return typeof value === 'number' && value > 0 ? value : -1;
}

function positiveOrUndefined(value: FieldValue | undefined): number | undefined {
  return typeof value === 'number' && value > 0 ? value : undefined;
}

function stringOrUndefined(value: FieldValue | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Parses a run file's text. Path rules follow the dapr CLI: `appDirPath` and the `common`
 * paths resolve against the run file's folder (`baseDir`), an app's own paths against its
 * appDirPath, `~` is expanded, and every path must exist. Resources come from the app's
 * own paths, else `<appDir>/.dapr/resources`, else `common`, else $MECHA_HOME/components;
 * the config likewise (`<appDir>/.dapr/config.yaml`, then $MECHA_HOME/config.yaml).
 */
export function parseRunFile(text: string, runFilePath: string, baseDir: string, context: RunFileContext): LoadedRunFile {
  const document = parseDocument(text);
  if (document.errors.length > 0) throw new CliError(`${runFilePath}: invalid YAML: ${document.errors[0]!.message}`);
  const root: unknown = document.toJS();
  if (typeof root !== 'object' || root === null || Array.isArray(root)) {
    throw new CliError(`${runFilePath}: a run file must be a mapping with version and apps`);
  }
  const { version, common, apps, ...rest } = root as Record<string, unknown>;
  for (const key of Object.keys(rest)) {
    if (key !== 'name') context.warn(`${runFilePath}: unknown field "${key}" ignored`);
  }
  if (version === undefined || version === null || version === 0 || version === '') {
    throw new CliError(`${runFilePath}: "version" is required (use version: 1)`);
  }
  if (!Array.isArray(apps) || apps.length === 0) throw new CliError(`${runFilePath}: no apps to run ("apps" must list at least one app)`);

  const commonSection = readSection(common, `${runFilePath}: common`, 'common', context);
  const commonResources = resourcesOf(commonSection, baseDir, `${runFilePath}: common`, context);
  const commonConfig = configOf(commonSection, baseDir, `${runFilePath}: common`, context);
  const commonEnv = (commonSection.get('env') as Record<string, string> | undefined) ?? {};
  const seenIds = new Set<string>();

  const configs = apps.map((rawApp: unknown, index): AppRunConfig => {
    const where = `${runFilePath}: apps[${index}]`;
    const own = readSection(rawApp, where, 'app', context);
    const dirGiven = own.get('appDirPath') as string | undefined;
    if (dirGiven === undefined || dirGiven === '') throw new CliError(`${where}: appDirPath is required`);
    const appDir = existing(dirGiven, baseDir, 'appDirPath', where, context);
    if (!statSync(appDir).isDirectory()) throw new CliError(`${where}: appDirPath is not a folder: ${appDir}`);
    const value = (key: string): FieldValue | undefined => {
      const mine = own.get(key);
      return isZero(mine) ? commonSection.get(key) : mine;
    };
    const label = (own.get('appID') as string | undefined) ?? path.basename(appDir);
    const appId = label === '' ? path.basename(appDir) : label;
    if (seenIds.has(appId)) throw new CliError(`${where}: app id "${appId}" is used by another app in the run file`);
    seenIds.add(appId);

    const ownResources = resourcesOf(own, appDir, where, context);
    const dotDaprResources = path.join(appDir, '.dapr', 'resources');
    const resourcesPaths =
      ownResources.length > 0
        ? ownResources
        : existsSync(dotDaprResources)
          ? [dotDaprResources]
          : commonResources.length > 0
            ? commonResources
            : defaultResourcesPaths(context.home);
    const dotDaprConfig = path.join(appDir, '.dapr', 'config.yaml');
    const configFile =
      configOf(own, appDir, where, context) ??
      (existsSync(dotDaprConfig) ? dotDaprConfig : undefined) ??
      commonConfig ??
      defaultConfigFile(context.home);

    const socketGiven = own.get('unixDomainSocket') as string | undefined;
    const unixDomainSocket = socketGiven === undefined || socketGiven === '' ? undefined : resolveUserPath(socketGiven, appDir, context.env);
    const appPort = own.get('appPort');
    const appSsl = value('appSSL') === true;
    let protocol = parseAppProtocol(stringOrUndefined(value('appProtocol')) ?? 'http', `${where}.appProtocol`);
    if (appSsl) protocol = protocol === 'grpc' ? 'grpcs' : protocol === 'http' ? 'https' : protocol;
    const maxConcurrency = value('appMaxConcurrency');
    const command = (own.get('command') as string[] | undefined) ?? [];
    if (command.length > 0 && command[0]!.trim() === '') throw new CliError(`${where}.command: the program (first element) is empty`);

    return {
      appId,
      appDir,
      command,
      appPort: typeof appPort === 'number' && appPort > 0 ? appPort : 0,
      appProtocol: protocol,
      appChannelAddress: stringOrUndefined(own.get('appChannelAddress')) ?? DEFAULT_APP_CHANNEL_ADDRESS,
      httpPort: unixDomainSocket !== undefined ? 0 : portOrFree(own.get('daprHTTPPort')),
      grpcPort: unixDomainSocket !== undefined ? 0 : portOrFree(own.get('daprGRPCPort')),
      internalGrpcPort: portOrFree(own.get('daprInternalGRPCPort')),
      metricsPort: portOrFree(own.get('metricsPort')),
      enableProfiling: value('enableProfiling') === true,
      profilePort: portOrFree(own.get('profilePort')),
      resourcesPaths,
      ...(configFile !== undefined ? { configFile } : {}),
      logLevel: stringOrUndefined(value('logLevel')) ?? 'info',
      logAsJson: false,
      enableApiLogging: value('enableApiLogging') === true,
      appMaxConcurrency: typeof maxConcurrency === 'number' && maxConcurrency > 0 ? maxConcurrency : -1,
      maxBodySize: stringOrUndefined(value('maxBodySize')),
      readBufferSize: stringOrUndefined(value('readBufferSize')),
      daprHttpMaxRequestSize: positiveOrUndefined(value('daprHTTPMaxRequestSize')),
      daprHttpReadBufferSize: positiveOrUndefined(value('daprHTTPReadBufferSize')),
      placementHostAddress: stringOrUndefined(value('placementHostAddress')),
      schedulerHostAddress: stringOrUndefined(value('schedulerHostAddress')),
      unixDomainSocket,
      appSsl,
      enableAppHealthCheck: value('enableAppHealthCheck') === true,
      appHealthCheckPath: stringOrUndefined(value('appHealthCheckPath')),
      appHealthProbeInterval: positiveOrUndefined(value('appHealthProbeInterval')),
      appHealthProbeTimeout: positiveOrUndefined(value('appHealthProbeTimeout')),
      appHealthThreshold: positiveOrUndefined(value('appHealthThreshold')),
      daprListenAddresses: stringOrUndefined(value('apiListenAddresses')),
      env: { ...commonEnv, ...((own.get('env') as Record<string, string> | undefined) ?? {}) },
      appLogDestination: logDestination(value('appLogDestination'), 'fileAndConsole', `${where}.appLogDestination`),
      daprdLogDestination: logDestination(value('daprdLogDestination'), 'file', `${where}.daprdLogDestination`),
      logDir: path.join(appDir, '.dapr', 'logs'),
      ...(runFilePath !== '-' ? { runFile: runFilePath } : {}),
    };
  });
  return { path: runFilePath, apps: configs };
}
