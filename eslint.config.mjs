import security from 'eslint-plugin-security';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.tributary/**', 'bench/results/**', 'coverage/**', 'bin/**'] },
  ...tseslint.configs.recommended,
  security.configs.recommended,
  {
    rules: {
      // Flags every computed member access (129 hits: records looked up by typed keys, array
      // indexes). Values from outside that become keys are validated where they enter (backfill
      // plan, lake state and stack config parsers), which this rule cannot see.
      'security/detect-object-injection': 'off',
      // Flags every fs call whose path is a variable (104 hits): the paths are the program's own
      // mkdtemp folders and the local lake, which resolves keys under its root and refuses any
      // that escape it (runtime/lake/local.ts pathOf).
      'security/detect-non-literal-fs-filename': 'off',
    },
  },
  {
    // Test and benchmark code, never shipped: patterns built from its own constants, and the
    // Pulumi mock harness loads the program it was asked to.
    files: ['tests/**', 'bench/**'],
    rules: { 'security/detect-non-literal-regexp': 'off', 'security/detect-non-literal-require': 'off', 'security/detect-unsafe-regex': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['runtime/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@pulumi/*'], message: 'runtime/ never imports Pulumi' }] }],
    },
  },
);
