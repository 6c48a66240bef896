/** A resource file Mecha cannot use. The message names the file, the document and the field. */
export class ResourceFileError extends Error {
  override readonly name = 'ResourceFileError';
  readonly file: string;
  readonly field: string | undefined;

  constructor(file: string, detail: string, field?: string) {
    super(`${file}: ${field ? `field ${field}: ` : ''}${detail}`);
    this.file = file;
    this.field = field;
  }
}
