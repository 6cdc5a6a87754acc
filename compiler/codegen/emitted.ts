/** What a code generator's project emitter returns: files (relative paths) and their text. */
export interface EmittedFile {
  readonly path: string;
  readonly text: string;
}
