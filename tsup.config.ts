import { defineConfig } from 'tsup'

export default defineConfig({
  // index/testing: Node.js, Bun, Deno. browser/testing-browser: browsers (`taosjs/browser`, and the
  // `browser` export condition); their chunks import no Node.js built-ins (checked by the
  // packaging test).
  entry: { index: 'src/index.ts', testing: 'src/testing.ts', browser: 'src/browser.ts', 'testing-browser': 'src/testing-browser.ts' },
  format: ['esm', 'cjs'],
  // Shared chunks in the CommonJS build too (tsup splits only ESM by default): otherwise
  // `taosjs/testing` carries its own copy of the error classes, and its errors fail
  // `instanceof` against the classes `taosjs` exports.
  splitting: true,
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // The generated loader stays outside the bundle and is reached through package.json "imports";
  // the WebAssembly package is the bundler's (or the import map's) to resolve.
  external: ['#native', 'taosjs-wasm32-wasi'],
  // `import.meta.url` (used to load the addon lazily) also in the CommonJS build.
  shims: true,
})
