// Type-aware lint: no-floating-promises matters in async DynamoDB and SQS code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', '.tributary/**', 'dist/**', 'console/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', 'cli/*.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Use cases depend on ports; only the one wiring module knows the adapters.
    files: ['shared/app/**/*.ts'],
    ignores: ['shared/app/create-deps.ts'],
    rules: {
      // A leading '#' reads as a comment in gitignore-style patterns, hence the regex.
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(#adapters/|@aws-sdk/)', message: 'Use cases depend on ports (shared/app/ports.ts); wire adapters in create-deps.ts.' }] }],
    },
  },
  {
    // Adapters, use cases, handlers and the test engine derive every status they write or check from the
    // lifecycle table: its rows, and the named statuses and predicates (isRunningTask, TASK_STATUS, ...).
    files: ['shared/adapters/**/*.ts', 'shared/app/**/*.ts', 'functions/**/*.ts', 'testing/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'Literal[value=/^(PENDING|SCHEDULED|RUNNING|COMPLETED|FAILED|CANCELLED|SKIPPED|PAUSED)$/]',
          message: 'Derive statuses from shared/domain/lifecycle.ts (taskTarget, taskGuards, isRunningTask, TASK_STATUS, ...), not by hand.',
        },
      ],
    },
  },
  {
    // The domain core is pure: no AWS SDK, no clock, no randomness.
    files: ['shared/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(@aws-sdk/|node:|#adapters/|#app/)', message: 'The domain is pure.' }] }],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Pass the clock in.' },
        { object: 'Math', property: 'random', message: 'Pass randomness in.' },
      ],
      'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Pass the clock in.' }],
    },
  },
);
