module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testMatch: ['<rootDir>/spec/**/*.spec.ts'],
  // Examples import the package by name (as users do); tests run them against the sources.
  moduleNameMapper: {
    '^sente-rx$': '<rootDir>/src/index.ts',
    '^sente-rx/(client|server|testing)$': '<rootDir>/src/$1/index.ts',
    '^sente-rx/msgpack$': '<rootDir>/src/packers/msgpack.ts',
  },
};
