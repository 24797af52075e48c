// Lint rules that hold the architecture's lines (STYLE §7): only the OS-facing
// modules may run processes.
import tseslint from 'typescript-eslint';

const osFacing = ['src/dataplane/**', 'src/runtime/**', 'src/lab/**'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'build/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts'],
    ignores: osFacing,
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          { name: 'node:child_process', message: 'Only src/dataplane, src/runtime and src/lab run OS commands (STYLE §7).' },
          { name: 'child_process', message: 'Only src/dataplane, src/runtime and src/lab run OS commands (STYLE §7).' },
        ],
      }],
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
);
