/** Reading what the stub sidecar and the test app print about themselves. */
export interface StubReport {
  args: string[];
  env: Record<string, string>;
  pid: number;
}

/** What the stub sidecar of `appId` printed about itself. */
export function stubReport(output: string, appId: string): StubReport {
  const args = output.match(new RegExp(`STUB-MECHAD ${appId} ARGS (.*)`))?.[1];
  const env = output.match(new RegExp(`STUB-MECHAD ${appId} ENV (.*)`))?.[1];
  const pid = output.match(new RegExp(`STUB-MECHAD ${appId} PID (\\d+)`))?.[1];
  if (args === undefined || env === undefined || pid === undefined) throw new Error(`no stub report for ${appId} in:\n${output}`);
  return { args: JSON.parse(args) as string[], env: JSON.parse(env) as Record<string, string>, pid: Number(pid) };
}

export function appEnvReport(output: string, appId: string): Record<string, string> {
  const env = output.match(new RegExp(`APP ${appId} ENV (.*)`))?.[1];
  if (env === undefined) throw new Error(`no app report for ${appId} in:\n${output}`);
  return JSON.parse(env) as Record<string, string>;
}

export function flagValue(args: readonly string[], flag: string): string | undefined {
  const index = args.indexOf(flag);
  return index === -1 ? undefined : args[index + 1];
}

