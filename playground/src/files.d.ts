/** stdlib/*.cnn and examples/*.cnn by path, put in by the build (scripts/playground-build.ts). */
declare module 'cnnc-playground-files' {
  export const FILES: Readonly<Record<string, string>>;
}
