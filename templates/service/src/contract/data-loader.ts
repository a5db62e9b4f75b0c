// YOUR FILE: generator-mlservice wrote it once and never overwrites it. Edit it freely.
//
// Contract (what `npm run train` relies on): createDataLoader(path, features) returns a DataLoader
// whose load() resolves to the training rows and their targets, in the same order. Each row has the
// features of features.yaml; targets[i] is row i's class label (classification) or number
// (regression). `path` is config.yaml training.data, resolved.
//
// The example reads that CSV (header row = column names) and checks each row with the same check as
// POST /predict, so the model is trained on what the service accepts. To load from somewhere else (a
// database, Parquet, an API), return your own DataLoader here:
//
//   export const createDataLoader = (path: string, features: FeatureModule): DataLoader => ({
//     async load() { const rows = ...; return { rows, targets: rows.map(...) }; },
//   });
import type { DataLoader, FeatureModule } from '@mlservice/runtime';
import { createCsvDataLoader } from '@mlservice/runtime/train';

export const createDataLoader = (path: string, features: FeatureModule): DataLoader => createCsvDataLoader(path, features);
