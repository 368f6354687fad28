#!/usr/bin/env node
// Reference features from the ORIGINAL nsfwjs TF.js model, run with @tensorflow/tfjs (pure-JS
// CPU backend), for the converted-model test: for each raw 224×224 RGB8 file given, the
// globally average-pooled output of each requested layer (and, as "LAYER#max", max-pooled), with the nsfwjs preprocessing
// (RGB ÷ 255, no resize because the inputs already have the model's size).
//
// Usage: node tfjs_reference.cjs NODE_MODULES MODEL_DIR LAYERS(comma) OUT.json IMG.rgb...
'use strict';
const path = require('path');
const fs = require('fs');

async function Main() {
  const [nodeModules, modelDir, layerList, outFile, ...images] = process.argv.slice(2);
  const tf = require(path.resolve(nodeModules, '@tensorflow/tfjs'));
  await tf.setBackend('cpu');
  const model = require(path.resolve(modelDir, 'model.min.js'));
  const weightSpecs = [];
  const buffers = [];
  for (const group of model.weightsManifest) {
    for (const p of group.paths) {
      buffers.push(Buffer.from(require(path.resolve(modelDir, `${p}.min.js`)), 'base64'));
    }
    weightSpecs.push(...group.weights);
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.length);
  const handler = {
    load: async () => ({modelTopology: model.modelTopology, weightSpecs, weightData,
                        format: model.format}),
  };
  const layers = layerList.split(',');
  let run;
  if (model.format === 'graph-model') {
    // Graph models: a layer is a unique suffix of a node name.
    const net = await tf.loadGraphModel(handler);
    const names = model.modelTopology.node.map((n) => n.name);
    const full = layers.map((l) => {
      const hits = names.filter((n) => n === l || n.endsWith('/' + l));
      if (hits.length !== 1) throw new Error(`${l}: matches ${hits.length} nodes`);
      return hits[0];
    });
    run = (x) => net.execute(x, full);
  } else {
    const net = await tf.loadLayersModel(handler);
    const probe = tf.model({inputs: net.inputs, outputs: layers.map((l) => net.getLayer(l).output)});
    run = (x) => probe.predict(x);
  }
  const result = {};
  for (const file of images) {
    const bytes = fs.readFileSync(file);
    if (bytes.length !== 224 * 224 * 3) throw new Error(`${file}: expected 224*224*3 bytes`);
    const x = tf.tensor(Float32Array.from(bytes), [1, 224, 224, 3]).div(255);
    let outs = run(x);
    if (!Array.isArray(outs)) outs = [outs];
    result[path.basename(file)] = {};
    layers.forEach((l, i) => {
      result[path.basename(file)][l] = Array.from(outs[i].mean([1, 2]).dataSync());
      result[path.basename(file)][`${l}#max`] = Array.from(outs[i].max([1, 2]).dataSync());
    });
  }
  fs.writeFileSync(outFile, JSON.stringify(result));
}

Main().catch((e) => {
  process.stderr.write(`tfjs_reference: ${e.stack || e}\n`);
  process.exit(1);
});
