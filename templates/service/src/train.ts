// YOUR FILE: generator-mlservice wrote it once and never overwrites it. Edit it freely.
// `npm run train`: DataLoader -> split -> Preprocessor.fit -> train -> evaluate -> quality gate ->
// model bundle in config.yaml model.dir (or, with model.onnx_path, the brought model packed).
import { runTraining } from '@mlservice/runtime/train';
import { trainingDefinition } from './service.js';

await runTraining(await trainingDefinition());
