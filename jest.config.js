/** Jest projects: the standard (TC39) decorator suite, the experimentalDecorators suite, and the opt-in scale suite. */
const transform = (tsconfig) => ({
  '^.+\\.ts$': ['ts-jest', { tsconfig, diagnostics: false }],
});

module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      roots: ['<rootDir>/spec'],
      testMatch: ['**/*.spec.ts'],
      testPathIgnorePatterns: ['\\.legacy\\.spec\\.ts$', '/spec/scale/'],
      transform: transform('tsconfig.json'),
    },
    {
      displayName: 'legacy-decorators',
      testEnvironment: 'node',
      roots: ['<rootDir>/spec'],
      testMatch: ['**/*.legacy.spec.ts'],
      transform: transform('tsconfig.legacy.json'),
    },
    {
      displayName: 'scale',
      testEnvironment: 'node',
      roots: ['<rootDir>/spec/scale'],
      testMatch: ['**/*.spec.ts'],
      transform: transform('tsconfig.json'),
    },
  ],
};
