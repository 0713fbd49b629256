/** @type {import('jest').Config} */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/libs', '<rootDir>/apps', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/apps/ui/'],
  transform: { '^.+\\.tsx?$': swc },
  moduleNameMapper: {
    '^@maskflow/(workflow|models|inference|pipelines|nodes|engine)$': '<rootDir>/libs/$1/src',
    '^@maskflow/cli$': '<rootDir>/apps/cli/src',
  },
  testTimeout: 60000,
};
