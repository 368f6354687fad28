#!/usr/bin/python3
"""Converts a Keras (TF.js layers-model) network dumped by convert-model-dump.cjs to ONNX.

The ONNX graph is written in the form OpenCV 4.6's importer accepts (see
/work/shared/MODEL-FACTS.md): opset 10, Clip with min/max attributes, Gemm with transB=1,
BatchNormalization folded into the preceding convolution, ZeroPadding2D folded into the next
convolution's (asymmetric) pads. The input is NCHW float32 (what cv::dnn::blobFromImage makes);
Keras' NHWC kernels are transposed accordingly.

Besides the network's own output, every layer named with --pool LAYER gets a
GlobalAveragePool + Flatten output named "pool/LAYER" ([N, C]); these are the embeddings.

Usage: convert-model.py DUMP_DIR OUT.onnx [--pool LAYER]... [--name NAME]
Only Debian's python3-onnx and python3-numpy are needed.
"""

import argparse
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 10


class Converter:
    def __init__(self, dump_dir):
        with open(os.path.join(dump_dir, "topology.json")) as f:
            topo = json.load(f)["modelTopology"]
        with open(os.path.join(dump_dir, "weights.json")) as f:
            index = json.load(f)
        blob = np.fromfile(os.path.join(dump_dir, "weights.bin"), dtype=np.uint8)
        self.weights = {}
        for w in index:
            dtype = np.int32 if w["dtype"] == "int32" else np.float32
            arr = blob[w["offset"]:w["offset"] + w["length"]].view(dtype).reshape(w["shape"])
            self.weights[w["name"]] = arr.astype(np.float32) if dtype == np.float32 else arr
        config = topo["model_config"]
        if config["class_name"] not in ("Model", "Functional"):
            raise SystemExit(f"unsupported model class {config['class_name']}")
        self.layers = config["config"]["layers"]
        self.output_layers = [o[0] for o in config["config"]["output_layers"]]
        self.nodes = []
        self.inits = []
        # tensor name of each layer's output, its shape (C, H, W), and pending pads from a
        # ZeroPadding2D waiting to be folded into the consumer convolution.
        self.tensor = {}
        self.shape = {}
        self.pending_pad = {}
        self.consumers = {}
        for layer in self.layers:
            for src in self._inputs(layer):
                self.consumers.setdefault(src, []).append(layer["name"])

    @staticmethod
    def _inputs(layer):
        if not layer["inbound_nodes"]:
            return []
        return [n[0] for n in layer["inbound_nodes"][0]]

    def _weight(self, layer, suffix):
        return self.weights[f"{layer}/{suffix}"]

    def _init(self, name, arr):
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def _conv(self, layer, cfg, src, depthwise):
        name = layer["name"]
        c, h, w = self.shape[src]
        kh, kw = cfg["kernel_size"]
        sh, sw = cfg["strides"]
        if cfg.get("dilation_rate", [1, 1]) != [1, 1]:
            raise SystemExit(f"{name}: dilation not supported")
        pad = self.pending_pad.get(src, (0, 0, 0, 0))  # top, bottom, left, right
        tensor_in = self.tensor[src]
        h += pad[0] + pad[1]
        w += pad[2] + pad[3]
        if cfg["padding"] == "same":
            # TensorFlow's SAME: total pad so that out = ceil(in / stride), extra on the end.
            oh, ow = -(-h // sh), -(-w // sw)
            th = max((oh - 1) * sh + kh - h, 0)
            tw = max((ow - 1) * sw + kw - w, 0)
            pad = (pad[0] + th // 2, pad[1] + th - th // 2, pad[2] + tw // 2, pad[3] + tw - tw // 2)
            h, w = h + th, w + tw
        oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
        if depthwise:
            k = self._weight(name, "depthwise_kernel")  # kh, kw, in, mult
            mult = k.shape[3]
            kernel = k.transpose(2, 3, 0, 1).reshape(c * mult, 1, kh, kw)
            group, out_c = c, c * mult
        else:
            k = self._weight(name, "kernel")  # kh, kw, in, out
            kernel = k.transpose(3, 2, 0, 1)
            group, out_c = 1, k.shape[3]
        bias = self.weights.get(f"{name}/bias") if cfg.get("use_bias") else None
        # Fold a following BatchNormalization (sole consumer) into the kernel and bias.
        outs = self.consumers.get(name, [])
        bn = None
        if len(outs) == 1:
            nxt = self._layer(outs[0])
            if nxt["class_name"] == "BatchNormalization":
                bn = nxt
        if bn is not None:
            bcfg = bn["config"]
            bname = bn["name"]
            gamma = self._weight(bname, "gamma") if bcfg.get("scale", True) else np.ones(out_c, np.float32)
            beta = self._weight(bname, "beta") if bcfg.get("center", True) else np.zeros(out_c, np.float32)
            mean = self._weight(bname, "moving_mean")
            var = self._weight(bname, "moving_variance")
            scale = (gamma / np.sqrt(var + bcfg["epsilon"])).astype(np.float64)
            kernel = (kernel.astype(np.float64) * scale[:, None, None, None]).astype(np.float32)
            b0 = bias.astype(np.float64) if bias is not None else np.zeros(out_c)
            bias = ((b0 - mean) * scale + beta).astype(np.float32)
        inputs = [tensor_in, self._init(f"{name}/W", kernel)]
        if bias is not None:
            inputs.append(self._init(f"{name}/B", bias))
        out_name = bn["name"] if bn is not None else name
        self.nodes.append(helper.make_node(
            "Conv", inputs, [out_name], name=name, kernel_shape=[kh, kw], strides=[sh, sw],
            pads=[pad[0], pad[2], pad[1], pad[3]], group=group))
        act = cfg.get("activation", "linear")
        if act != "linear":
            raise SystemExit(f"{name}: fused activation {act} not supported")
        self._set(name, out_name, (out_c, oh, ow))
        if bn is not None:
            self._set(bn["name"], out_name, (out_c, oh, ow))
            self.folded.add(bn["name"])

    def _layer(self, name):
        return self.by_name[name]

    def _set(self, layer_name, tensor, shape):
        self.tensor[layer_name] = tensor
        self.shape[layer_name] = shape

    def Convert(self, pools, model_name):
        self.by_name = {l["name"]: l for l in self.layers}
        self.folded = set()
        graph_inputs = []
        for layer in self.layers:
            name, cls, cfg = layer["name"], layer["class_name"], layer["config"]
            srcs = self._inputs(layer)
            if name in self.folded:
                continue
            if cls == "InputLayer":
                _, h, w, c = cfg["batch_input_shape"]
                graph_inputs.append(helper.make_tensor_value_info(
                    "input", TensorProto.FLOAT, ["N", c, h, w]))
                self._set(name, "input", (c, h, w))
            elif cls == "ZeroPadding2D":
                (t, b), (l, r) = cfg["padding"]
                src = srcs[0]
                prev = self.pending_pad.get(src, (0, 0, 0, 0))
                c, h, w = self.shape[src]
                if any(self._layer(n)["class_name"] not in ("Conv2D", "DepthwiseConv2D")
                       for n in self.consumers.get(name, [])):
                    raise SystemExit(f"{name}: padding must feed convolutions only")
                self._set(name, self.tensor[src], (c, h, w))
                self.pending_pad[name] = (prev[0] + t, prev[1] + b, prev[2] + l, prev[3] + r)
            elif cls in ("Conv2D", "DepthwiseConv2D"):
                self._conv(layer, cfg, srcs[0], cls == "DepthwiseConv2D")
            elif cls == "BatchNormalization":
                # Not after a convolution: emit it as an op.
                src = srcs[0]
                c = self.shape[src][0]
                ins = [self.tensor[src]] + [
                    self._init(f"{name}/{s}", self._weight(name, s))
                    for s in ("gamma", "beta", "moving_mean", "moving_variance")]
                self.nodes.append(helper.make_node("BatchNormalization", ins, [name], name=name,
                                                   epsilon=cfg["epsilon"]))
                self._set(name, name, self.shape[src])
            elif cls == "ReLU":
                src = srcs[0]
                if cfg.get("negative_slope", 0) != 0 or cfg.get("threshold", 0) != 0:
                    raise SystemExit(f"{name}: leaky/threshold ReLU not supported")
                if cfg.get("max_value") is not None:
                    node = helper.make_node("Clip", [self.tensor[src]], [name], name=name,
                                            min=0.0, max=float(cfg["max_value"]))
                else:
                    node = helper.make_node("Relu", [self.tensor[src]], [name], name=name)
                self.nodes.append(node)
                self._set(name, name, self.shape[src])
            elif cls == "Add":
                self.nodes.append(helper.make_node("Add", [self.tensor[s] for s in srcs], [name],
                                                   name=name))
                self._set(name, name, self.shape[srcs[0]])
            elif cls in ("AveragePooling2D", "GlobalAveragePooling2D"):
                src = srcs[0]
                c, h, w = self.shape[src]
                if cls == "AveragePooling2D" and (cfg["pool_size"] != [h, w] or
                                                  cfg["padding"] != "valid"):
                    raise SystemExit(f"{name}: only global average pooling supported")
                self.nodes.append(helper.make_node("GlobalAveragePool", [self.tensor[src]],
                                                   [name], name=name))
                self._set(name, name, (c, 1, 1))
            elif cls == "Flatten":
                src = srcs[0]
                c, h, w = self.shape[src]
                if (h, w) != (1, 1):
                    raise SystemExit(f"{name}: Flatten of a spatial map (NHWC order) unsupported")
                self.nodes.append(helper.make_node("Flatten", [self.tensor[src]], [name],
                                                   name=name, axis=1))
                self._set(name, name, (c, 1, 1))
            elif cls == "Dropout":
                self._set(name, self.tensor[srcs[0]], self.shape[srcs[0]])
            elif cls == "Dense":
                src = srcs[0]
                k = self._weight(name, "kernel")  # in, out
                ins = [self.tensor[src], self._init(f"{name}/W", k.T)]
                ins.append(self._init(f"{name}/B", self._weight(name, "bias") if cfg["use_bias"]
                                      else np.zeros(k.shape[1], np.float32)))
                act = cfg.get("activation", "linear")
                gemm_out = name if act == "linear" else f"{name}/linear"
                self.nodes.append(helper.make_node("Gemm", ins, [gemm_out], name=name, transB=1))
                if act == "relu":
                    self.nodes.append(helper.make_node("Relu", [gemm_out], [name]))
                elif act == "softmax":
                    self.nodes.append(helper.make_node("Softmax", [gemm_out], [name], axis=1))
                elif act != "linear":
                    raise SystemExit(f"{name}: activation {act} not supported")
                self._set(name, name, (k.shape[1], 1, 1))
            else:
                raise SystemExit(f"{name}: layer class {cls} not supported")

        outputs = []
        for layer in self.output_layers:
            c = self.shape[layer][0]
            self.nodes.append(helper.make_node("Identity", [self.tensor[layer]], ["logits"
                                               if len(self.output_layers) == 1 else layer]))
            outputs.append(helper.make_tensor_value_info(self.nodes[-1].output[0],
                                                         TensorProto.FLOAT, ["N", c]))
        for layer in pools:
            if layer not in self.tensor:
                raise SystemExit(f"--pool {layer}: no such layer")
            c = self.shape[layer][0]
            gap = f"pool/{layer}/gap"
            self.nodes.append(helper.make_node("GlobalAveragePool", [self.tensor[layer]], [gap]))
            self.nodes.append(helper.make_node("Flatten", [gap], [f"pool/{layer}"], axis=1))
            outputs.append(helper.make_tensor_value_info(f"pool/{layer}", TensorProto.FLOAT,
                                                         ["N", c]))
        graph = helper.make_graph(self.nodes, model_name, graph_inputs, outputs, self.inits)
        model = helper.make_model(graph, producer_name="lookalike convert-model",
                                  opset_imports=[helper.make_opsetid("", OPSET)])
        model.ir_version = 6
        onnx.checker.check_model(model)
        return model


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dump_dir")
    ap.add_argument("out")
    ap.add_argument("--pool", action="append", default=[],
                    help="layer whose globally average-pooled output becomes an output")
    ap.add_argument("--name", default="model")
    args = ap.parse_args()
    model = Converter(args.dump_dir).Convert(args.pool, args.name)
    tmp = args.out + ".tmp"
    onnx.save(model, tmp)
    os.replace(tmp, args.out)


if __name__ == "__main__":
    sys.exit(main())
