import { defineConfig } from 'tsup'

export default defineConfig({
  entry: { index: 'src/index.ts', testing: 'src/testing.ts' },
  format: ['esm', 'cjs'],
  // Shared chunks in the CommonJS build too (tsup splits only ESM by default): otherwise
  // `taosjs/testing` carries its own copy of the error classes, and its errors fail
  // `instanceof` against the classes `taosjs` exports.
  splitting: true,
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // The generated loader stays outside the bundle and is reached through package.json "imports".
  external: ['#native'],
  // `import.meta.url` (used to load the addon lazily) also in the CommonJS build.
  shims: true,
})
