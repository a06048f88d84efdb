// Jest runs CommonJS; Angular ships only ES modules (.mjs). This turns those into CommonJS with TypeScript's
// transpiler (no type check). Only files under node_modules/@angular match (see jest.config.js), only the
// Angular suites import them, and Jest caches the result, so the rest of the suite pays nothing.
const { createHash } = require('crypto');
const { readFileSync } = require('fs');
const ts = require('typescript');

const self = createHash('sha1').update(readFileSync(__filename)).update(ts.version).digest('hex');

module.exports = {
  getCacheKey: (source, filename) => createHash('sha1').update(self).update(filename).update(source).digest('hex'),
  process(source, filename) {
    const out = ts.transpileModule(source, {
      fileName: filename.replace(/\.mjs$/, '.js'), // a .mjs name would keep the output ESM
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, allowJs: true, sourceMap: false, esModuleInterop: true },
    });
    return { code: out.outputText };
  },
};
