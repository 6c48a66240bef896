import { describe, expect, it } from 'vitest';
import { CliError } from '../src/cli-error.ts';
import { parseFlags, type FlagSpec } from '../src/flags/flag-parser.ts';
import { runFlagSpecs } from '../src/run/run-flags.ts';

const specs: FlagSpec[] = [
  { name: 'app-id', short: 'a', kind: 'string', description: '' },
  { name: 'app-port', short: 'p', kind: 'int', description: '' },
  { name: 'resources-path', short: 'd', kind: 'list', description: '' },
  { name: 'enable-api-logging', kind: 'boolean', description: '' },
  { name: 'kubernetes', short: 'k', kind: 'boolean', description: '' },
  { name: 'help', short: 'h', kind: 'boolean', description: '' },
];

describe('parseFlags', () => {
  it('reads long flags in both --flag value and --flag=value forms', () => {
    const flags = parseFlags(specs, ['--app-id', 'orders', '--app-port=3000']);
    expect(flags.string('app-id')).toBe('orders');
    expect(flags.int('app-port')).toBe(3000);
  });

  it('reads short flags as -a value, -avalue and -a=value', () => {
    expect(parseFlags(specs, ['-a', 'x']).string('app-id')).toBe('x');
    expect(parseFlags(specs, ['-ax']).string('app-id')).toBe('x');
    expect(parseFlags(specs, ['-a=x']).string('app-id')).toBe('x');
    expect(parseFlags(specs, ['-p', '-1']).int('app-port')).toBe(-1);
  });

  it('treats a bare boolean as true and accepts =false', () => {
    expect(parseFlags(specs, ['--enable-api-logging']).bool('enable-api-logging')).toBe(true);
    expect(parseFlags(specs, ['--enable-api-logging=false']).bool('enable-api-logging')).toBe(false);
    expect(parseFlags(specs, []).bool('enable-api-logging')).toBeUndefined();
  });

  it('does not take the next word as a boolean value (pflag semantics)', () => {
    const flags = parseFlags(specs, ['--enable-api-logging', 'false']);
    expect(flags.bool('enable-api-logging')).toBe(true);
    expect(flags.positionals).toEqual(['false']);
  });

  it('groups short booleans', () => {
    const flags = parseFlags(specs, ['-kh']);
    expect(flags.bool('kubernetes')).toBe(true);
    expect(flags.bool('help')).toBe(true);
    expect(() => parseFlags(specs, ['-kz'])).toThrow(/unknown shorthand flag: 'z'/);
  });

  it('repeats and comma-splits list flags', () => {
    const flags = parseFlags(specs, ['--resources-path', 'a', '-d', 'b,c', '--resources-path=d']);
    expect(flags.list('resources-path')).toEqual(['a', 'b', 'c', 'd']);
  });

  it('stops at the first positional when asked, so the app keeps its own flags', () => {
    const flags = parseFlags(specs, ['-a', 'x', 'node', 'app.js', '--port', '3', '-a', 'y'], { stopAtFirstPositional: true });
    expect(flags.string('app-id')).toBe('x');
    expect(flags.positionals).toEqual(['node', 'app.js', '--port', '3', '-a', 'y']);
  });

  it('ends flags at --', () => {
    const flags = parseFlags(specs, ['-a', 'x', '--', '--app-id', 'y']);
    expect(flags.string('app-id')).toBe('x');
    expect(flags.positionals).toEqual(['--app-id', 'y']);
  });

  it('rejects unknown flags, missing values and bad numbers with a CliError', () => {
    expect(() => parseFlags(specs, ['--nope'])).toThrow(CliError);
    expect(() => parseFlags(specs, ['--nope'])).toThrow('unknown flag: --nope');
    expect(() => parseFlags(specs, ['--app-id'])).toThrow('flag needs an argument: --app-id');
    expect(() => parseFlags(specs, ['-p', 'abc'])).toThrow(/invalid argument "abc" for "-p"/);
    expect(() => parseFlags(specs, ['--enable-api-logging=maybe'])).toThrow(/expected true or false/);
  });

  it('keeps the last value of a repeated string flag', () => {
    expect(parseFlags(specs, ['-a', 'x', '-a', 'y']).string('app-id')).toBe('y');
  });
});

describe('run flags', () => {
  it('know every dapr run flag and its short form', () => {
    const shorts = Object.fromEntries(runFlagSpecs.filter((spec) => spec.short).map((spec) => [spec.short, spec.name]));
    expect(shorts).toEqual({
      a: 'app-id',
      p: 'app-port',
      P: 'app-protocol',
      H: 'dapr-http-port',
      G: 'dapr-grpc-port',
      I: 'dapr-internal-grpc-port',
      M: 'metrics-port',
      d: 'components-path',
      c: 'config',
      u: 'unix-domain-socket',
      f: 'run-file',
      k: 'kubernetes',
      h: 'help',
    });
    const names = runFlagSpecs.map((spec) => spec.name);
    for (const name of [
      'enable-profiling', 'profile-port', 'log-level', 'app-max-concurrency', 'placement-host-address', 'scheduler-host-address',
      'app-ssl', 'max-body-size', 'read-buffer-size', 'dapr-http-max-request-size', 'dapr-http-read-buffer-size',
      'enable-app-health-check', 'app-health-check-path', 'app-health-probe-interval', 'app-health-probe-timeout',
      'app-health-threshold', 'enable-api-logging', 'dapr-listen-addresses', 'app-channel-address', 'resources-path',
      'runtime-path', 'log-as-json', 'dapr-graceful-shutdown-seconds',
    ]) {
      expect(names).toContain(name);
    }
  });
});
