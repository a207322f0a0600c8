import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Syntax the house style rules out everywhere (STYLE.md). */
const restrictedSyntax = [
  { selector: 'ExportAllDeclaration', message: 'index.ts lists its exports explicitly (STYLE.md)' },
  { selector: 'TSEnumDeclaration', message: 'use an `as const` object instead of enum (STYLE.md)' },
];

const ERROR_CODE_LITERAL =
  "an 'ERR_...' code is an entry of its package's table: add it, with a one-line TSDoc, to the package's " +
  "src/errors.ts and reference it (a code that crosses the wire goes in protocol's), see docs/errors.md";

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.d.ts', 'packages/master/ui/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-restricted-syntax': ['error', ...restrictedSyntax],
    },
  },
  {
    // Error codes live in one table per package (packages/<name>/src/errors.ts), issue #15. Tests
    // and fixtures may spell a code out: they assert the wire value. (Rule options replace the
    // block above's for these files, hence the spread.)
    files: ['packages/*/src/**/*.ts', 'packages/*/src/**/*.tsx'],
    ignores: ['packages/*/src/errors.ts', '**/*.test.ts', '**/*.fixture.ts', 'packages/e2e/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...restrictedSyntax,
        { selector: 'Literal[value=/^ERR_/]', message: ERROR_CODE_LITERAL },
        { selector: 'TemplateLiteral > TemplateElement:first-child[value.raw=/^ERR_/]', message: ERROR_CODE_LITERAL },
      ],
    },
  },
  {
    files: ['packages/master/src/core/**/*.ts', 'packages/protocol/src/**/*.ts', 'packages/state/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      // Core, protocol and the state engine take time from a scheduler or a caller, never from the wall clock.
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'setImmediate', 'process', 'console'],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now' }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', 'scripts/**', 'bench/**'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
