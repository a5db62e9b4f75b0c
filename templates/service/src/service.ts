// YOUR FILE: generator-mlservice wrote it once and never overwrites it. Edit it freely.
// What this service hands the runtime (@mlservice/runtime): its features (generated from features.yaml)
// and its contract (src/contract/). src/app.ts, src/server.ts and src/train.ts all take it from here.
import type { ServiceDefinition, TrainingDefinition } from '@mlservice/runtime';
import { Preprocessor } from './contract/preprocessor.js';
import { features } from './schemas/features.js';

/** What serving needs: the features and the Preprocessor that turns rows into the model input. */
export const service: ServiceDefinition = { features, Preprocessor };

/** What `npm run train` needs besides: the DataLoader and the trainer (loaded only by src/train.ts). */
export async function trainingDefinition(): Promise<TrainingDefinition> {
  const [{ createDataLoader }, { train }] = await Promise.all([import('./contract/data-loader.js'), import('./contract/train.js')]);
  return { ...service, createDataLoader, train };
}
