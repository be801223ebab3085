/**
 * Vitest setup file: runs in every test file before its imports, so that a
 * handler module imported statically reads a working environment (the shared
 * test table and queues) at module load. Files that want their own resources
 * call `useHandlerEnv(await createIsolatedResources())` before importing handlers.
 */
import { emulatorsAvailable } from './clients.ts';
import { useHandlerEnv } from './resources.ts';

if (emulatorsAvailable()) useHandlerEnv();
