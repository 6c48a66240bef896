/**
 * A boolean from a request's metadata, read as Dapr reads it (`y`, `yes`, `true`, `t`, `on`, `1`,
 * any case, are true; anything else is false); absent or empty keeps the component's setting.
 */
export function requestFlag(metadata: Readonly<Record<string, string>>, key: string, componentValue: boolean): boolean {
  const value = metadata[key];
  if (value === undefined || value.trim() === '') return componentValue;
  return ['y', 'yes', 'true', 't', 'on', '1'].includes(value.trim().toLowerCase());
}
