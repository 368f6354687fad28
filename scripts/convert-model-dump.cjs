#!/usr/bin/env node
// Dumps an nsfwjs TF.js model (browserified *.min.js files) as plain files the Python converter
// reads: OUT/topology.json (the TF.js model topology as JSON) and OUT/weights.bin (all weights
// dequantized to little-endian float32, or int32 for int32 tensors) indexed by
// OUT/weights.json [{name, shape, dtype, offset, length}].
//
// Usage: node scripts/convert-model-dump.cjs MODEL_DIR OUT_DIR
//   MODEL_DIR: e.g. tools/node/node_modules/nsfwjs/dist/models/mobilenet_v2
'use strict';
const fs = require('fs');
const path = require('path');

function Fail(msg) {
  process.stderr.write(`convert-model-dump: ${msg}\n`);
  process.exit(1);
}

// IEEE half → float (TF.js stores some weights as float16).
function HalfToFloat(h) {
  const s = (h & 0x8000) ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * Math.pow(2, -14) * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * Math.pow(2, e - 15) * (1 + f / 1024);
}

function Main() {
  const [modelDir, outDir] = process.argv.slice(2);
  if (!modelDir || !outDir) Fail('usage: convert-model-dump.cjs MODEL_DIR OUT_DIR');
  const modelFile = path.resolve(modelDir, 'model.min.js');
  if (!fs.existsSync(modelFile)) Fail(`no model.min.js in ${modelDir}`);
  const model = require(modelFile);
  if (!model.modelTopology || !model.weightsManifest) Fail(`${modelFile}: not a TF.js model`);
  fs.mkdirSync(outDir, {recursive: true});
  fs.writeFileSync(path.join(outDir, 'topology.json'),
                   JSON.stringify({format: model.format || 'layers-model',
                                   modelTopology: model.modelTopology}));

  const index = [];
  const chunks = [];
  let offset = 0;
  for (const group of model.weightsManifest) {
    // Shards of a group are concatenated, then the group's weights are read in order.
    const buffers = group.paths.map((p) => {
      const shard = require(path.resolve(modelDir, `${p}.min.js`));
      if (typeof shard !== 'string') Fail(`${p}: shard is not a base64 string`);
      return Buffer.from(shard, 'base64');
    });
    const data = Buffer.concat(buffers);
    let pos = 0;
    for (const w of group.weights) {
      const count = w.shape.reduce((a, b) => a * b, 1);
      const q = w.quantization;
      const outDtype = w.dtype === 'int32' ? 'int32' : 'float32';
      const out = Buffer.alloc(count * 4);
      if (q && q.dtype === 'uint8') {
        for (let i = 0; i < count; ++i) out.writeFloatLE(data[pos + i] * q.scale + q.min, i * 4);
        pos += count;
      } else if (q && q.dtype === 'float16') {
        for (let i = 0; i < count; ++i) out.writeFloatLE(HalfToFloat(data.readUInt16LE(pos + 2 * i)), i * 4);
        pos += 2 * count;
      } else if (!q && (w.dtype === 'float32' || w.dtype === 'int32')) {
        data.copy(out, 0, pos, pos + 4 * count);
        pos += 4 * count;
      } else {
        Fail(`${w.name}: unsupported dtype ${w.dtype} / quantization ${JSON.stringify(q)}`);
      }
      index.push({name: w.name, shape: w.shape, dtype: outDtype, offset, length: out.length});
      chunks.push(out);
      offset += out.length;
    }
    if (pos !== data.length) Fail(`weight group ${group.paths}: read ${pos} of ${data.length} bytes`);
  }
  fs.writeFileSync(path.join(outDir, 'weights.bin'), Buffer.concat(chunks));
  fs.writeFileSync(path.join(outDir, 'weights.json'), JSON.stringify(index));
}

Main();
