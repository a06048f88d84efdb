module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    // Angular's packages are ES modules only: see spec/support/esmTransform.cjs.
    '^.+\\.mjs$': '<rootDir>/spec/support/esmTransform.cjs',
  },
  transformIgnorePatterns: ['/node_modules/(?!@angular/)'],
  testMatch: ['<rootDir>/spec/**/*.spec.ts'],
  // Examples import the package by name (as users do); tests run them against the sources.
  moduleNameMapper: {
    '^sente-rx$': '<rootDir>/src/index.ts',
    '^sente-rx/(client|server|testing|react|angular)$': '<rootDir>/src/$1/index.ts',
    '^sente-rx/msgpack$': '<rootDir>/src/packers/msgpack.ts',
  },
};
