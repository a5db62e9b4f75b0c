// YOUR FILE: generator-mlservice wrote it once and never overwrites it. Edit it freely.
// `npm start`: the runtime's server (config.yaml and its environment overrides, the model bundle,
// prediction log, drain on SIGTERM) around src/app.ts.
import { serve } from '@mlservice/runtime';
import { buildApp } from './app.js';
import { service } from './service.js';

await serve(service, buildApp);
