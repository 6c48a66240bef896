import { CliError } from '../cli-error.ts';

/**
 * A small pflag-compatible parser: `--name value`, `--name=value`, `-n value`, `-nvalue`,
 * `-n=value`, bare booleans (`--flag`, `--flag=false`), grouped short booleans (`-kh`),
 * repeatable lists that also split on commas, and `--` ending the flags. It is hand-written
 * because `node:util` parseArgs cannot stop at the first positional, which `mecha run`
 * needs so that `mecha run -a x node app.js --port 3` hands `--port 3` to the app.
 */
export type FlagKind = 'string' | 'boolean' | 'int' | 'list';

export interface FlagSpec {
  /** Long name without the dashes. */
  name: string;
  short?: string;
  kind: FlagKind;
  description: string;
  /** Shown in help only; defaults are applied by the command. */
  defaultText?: string;
  /** Accepted but left out of help (deprecated aliases, dapr-only options). */
  hidden?: boolean;
}

export type FlagValue = string | boolean | number | string[];

export interface ParseOptions {
  /** Treat the first positional and everything after it as positionals (the app command). */
  stopAtFirstPositional?: boolean;
}

export class ParsedFlags {
  readonly positionals: string[];
  readonly #values: Map<string, FlagValue>;

  constructor(values: Map<string, FlagValue>, positionals: string[]) {
    this.#values = values;
    this.positionals = positionals;
  }

  has(name: string): boolean {
    return this.#values.has(name);
  }

  /** The flag names that were given, in no particular order. */
  names(): string[] {
    return [...this.#values.keys()];
  }

  string(name: string): string | undefined {
    const value = this.#values.get(name);
    return typeof value === 'string' ? value : undefined;
  }

  int(name: string): number | undefined {
    const value = this.#values.get(name);
    return typeof value === 'number' ? value : undefined;
  }

  bool(name: string): boolean | undefined {
    const value = this.#values.get(name);
    return typeof value === 'boolean' ? value : undefined;
  }

  list(name: string): string[] {
    const value = this.#values.get(name);
    return Array.isArray(value) ? value : [];
  }
}

function parseBoolean(raw: string, flag: string): boolean {
  switch (raw.toLowerCase()) {
    case 'true':
    case '1':
    case 't':
      return true;
    case 'false':
    case '0':
    case 'f':
      return false;
    default:
      throw new CliError(`invalid argument "${raw}" for "${flag}" flag: expected true or false`);
  }
}

function parseInteger(raw: string, flag: string): number {
  if (!/^[+-]?\d+$/.test(raw.trim())) {
    throw new CliError(`invalid argument "${raw}" for "${flag}" flag: expected an integer`);
  }
  return Number.parseInt(raw, 10);
}

export function parseFlags(specs: readonly FlagSpec[], argv: readonly string[], options: ParseOptions = {}): ParsedFlags {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const byShort = new Map(specs.filter((spec) => spec.short !== undefined).map((spec) => [spec.short!, spec]));
  const values = new Map<string, FlagValue>();
  const positionals: string[] = [];

  const store = (spec: FlagSpec, shown: string, raw: string | undefined): void => {
    switch (spec.kind) {
      case 'boolean':
        values.set(spec.name, raw === undefined ? true : parseBoolean(raw, shown));
        return;
      case 'int':
        values.set(spec.name, parseInteger(raw!, shown));
        return;
      case 'list': {
        const previous = values.get(spec.name);
        const items = raw!.split(',').map((item) => item.trim()).filter((item) => item !== '');
        values.set(spec.name, [...(Array.isArray(previous) ? previous : []), ...items]);
        return;
      }
      case 'string':
        values.set(spec.name, raw!);
        return;
    }
  };

  for (let index = 0; index < argv.length; index += 1) {
    const token = argv[index]!;
    if (token === '--') {
      positionals.push(...argv.slice(index + 1));
      break;
    }
    const isLong = token.startsWith('--');
    const isShort = !isLong && token.startsWith('-') && token.length > 1;
    if (!isLong && !isShort) {
      if (options.stopAtFirstPositional) {
        positionals.push(...argv.slice(index));
        break;
      }
      positionals.push(token);
      continue;
    }

    let spec: FlagSpec | undefined;
    let shown: string;
    let inline: string | undefined;
    if (isLong) {
      const body = token.slice(2);
      const equals = body.indexOf('=');
      const name = equals === -1 ? body : body.slice(0, equals);
      inline = equals === -1 ? undefined : body.slice(equals + 1);
      shown = `--${name}`;
      spec = byName.get(name);
      if (spec === undefined) throw new CliError(`unknown flag: ${shown}`);
    } else {
      const letter = token[1]!;
      shown = `-${letter}`;
      spec = byShort.get(letter);
      if (spec === undefined) throw new CliError(`unknown shorthand flag: '${letter}' in ${token}`);
      const rest = token.slice(2);
      if (spec.kind === 'boolean' && rest !== '' && !rest.startsWith('=')) {
        // Grouped booleans, `-kh`: every letter must be a boolean flag.
        store(spec, shown, undefined);
        for (const other of rest) {
          const grouped = byShort.get(other);
          if (grouped === undefined) throw new CliError(`unknown shorthand flag: '${other}' in ${token}`);
          if (grouped.kind !== 'boolean') throw new CliError(`flag -${other} needs an argument and cannot be grouped in ${token}`);
          store(grouped, `-${other}`, undefined);
        }
        continue;
      }
      inline = rest === '' ? undefined : rest.startsWith('=') ? rest.slice(1) : rest;
    }

    if (spec.kind === 'boolean') {
      store(spec, shown, inline);
      continue;
    }
    if (inline === undefined) {
      if (index + 1 >= argv.length) throw new CliError(`flag needs an argument: ${shown}`);
      index += 1;
      inline = argv[index]!;
    }
    store(spec, shown, inline);
  }
  return new ParsedFlags(values, positionals);
}
