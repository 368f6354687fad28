#!/usr/bin/python3
"""Converts a TF.js network dumped by convert-model-dump.cjs to ONNX.

Two kinds of TF.js model are understood: Keras layers models (nsfwjs mobilenet_v2) and the
TensorFlow graph models of TF-Hub MobileNets (nsfwjs mobilenet_v2_mid: _FusedConv2D,
FusedDepthwiseConv2dNative, AddV2, AvgPool, Squeeze, _FusedMatMul, Softmax).

The ONNX graph is written in the form OpenCV 4.6's importer accepts (see
/work/shared/MODEL-FACTS.md): opset 10, Clip with min/max attributes, Gemm with transB=1,
BatchNormalization folded into the preceding convolution, ZeroPadding2D folded into the next
convolution's (asymmetric) pads. The input is NCHW float32 (what cv::dnn::blobFromImage makes);
Keras' NHWC kernels are transposed accordingly.

Besides the network's own output, every layer named with --pool LAYER gets a
GlobalAveragePool + Flatten output named "pool/LAYER" ([N, C]); these are the embeddings.

With --map LAYER the layer's [N, C, H, W] feature map itself becomes an output "map/LAYER"
(for manifests that pool it another way, e.g. max pooling).

For graph models LAYER may be any unique suffix of a node name (e.g. "Conv_1/Relu6"); the
output is named after the suffix given.

--extract FILE=OUT1,OUT2 also writes FILE holding only the part of the graph those outputs
need: OpenCV 4.6 runs every layer of a network whatever output is asked for, so an embedding
from block_10 costs the whole network unless it has its own, shorter file.

Usage: convert-model.py DUMP_DIR OUT.onnx [--pool LAYER]... [--map LAYER]... [--name NAME]
                        [--extract FILE=OUTPUT[,OUTPUT]]...
Only Debian's python3-onnx and python3-numpy are needed.
"""

import argparse
import json
import os
import sys

import numpy as np
import onnx
import onnx.utils
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

    def _EmitOutput(self, layer, pooled):
        c, h, w = self.shape[layer]
        if pooled:
            gap = f"pool/{layer}/gap"
            self.nodes.append(helper.make_node("GlobalAveragePool", [self.tensor[layer]], [gap]))
            self.nodes.append(helper.make_node("Flatten", [gap], [f"pool/{layer}"], axis=1))
            self.extra_outputs.append(helper.make_tensor_value_info(
                f"pool/{layer}", TensorProto.FLOAT, ["N", c]))
        else:
            self.nodes.append(helper.make_node("Identity", [self.tensor[layer]], [f"map/{layer}"]))
            self.extra_outputs.append(helper.make_tensor_value_info(
                f"map/{layer}", TensorProto.FLOAT, ["N", c, h, w]))

    def Convert(self, pools, maps, model_name):
        self.by_name = {l["name"]: l for l in self.layers}
        self.folded = set()
        graph_inputs = []
        self.extra_outputs = []
        emitted = set()
        wanted = [(l, True) for l in pools] + [(l, False) for l in maps]
        for layer in self.layers:
            # Pool/map outputs go right after the node that makes their tensor: OpenCV's
            # forward(name) runs every layer listed before the requested one, so an embedding
            # taken from block_10 must not wait for the rest of the network.
            for want in wanted:
                if want[0] in self.tensor and want not in emitted:
                    emitted.add(want)
                    self._EmitOutput(*want)
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

        for want in wanted:
            if want[0] in self.tensor and want not in emitted:
                emitted.add(want)
                self._EmitOutput(*want)
        outputs = []
        for layer in self.output_layers:
            c = self.shape[layer][0]
            self.nodes.append(helper.make_node("Identity", [self.tensor[layer]], ["logits"
                                               if len(self.output_layers) == 1 else layer]))
            outputs.append(helper.make_tensor_value_info(self.nodes[-1].output[0],
                                                         TensorProto.FLOAT, ["N", c]))
        for layer in pools + maps:
            if layer not in self.tensor:
                raise SystemExit(f"--pool/--map {layer}: no such layer")
        outputs += self.extra_outputs
        graph = helper.make_graph(self.nodes, model_name, graph_inputs, outputs, self.inits)
        model = helper.make_model(graph, producer_name="lookalike convert-model",
                                  opset_imports=[helper.make_opsetid("", OPSET)])
        model.ir_version = 6
        onnx.checker.check_model(model)
        return model


def SamePads(h, w, kh, kw, sh, sw):
    """TensorFlow SAME padding (top, bottom, left, right): out = ceil(in / stride), extra at the end."""
    oh, ow = -(-h // sh), -(-w // sw)
    th = max((oh - 1) * sh + kh - h, 0)
    tw = max((ow - 1) * sw + kw - w, 0)
    return (th // 2, th - th // 2, tw // 2, tw - tw // 2), oh, ow


class GraphConverter:
    """TF graph model (as TF.js stores it) to ONNX, NHWC → NCHW."""

    def __init__(self, dump_dir):
        with open(os.path.join(dump_dir, "topology.json")) as f:
            self.graph = json.load(f)["modelTopology"]["node"]
        with open(os.path.join(dump_dir, "weights.json")) as f:
            index = json.load(f)
        blob = np.fromfile(os.path.join(dump_dir, "weights.bin"), dtype=np.uint8)
        self.weights = {}
        for w in index:
            dtype = np.int32 if w["dtype"] == "int32" else np.float32
            self.weights[w["name"]] = (blob[w["offset"]:w["offset"] + w["length"]]
                                       .view(dtype).reshape(w["shape"]))
        self.nodes, self.inits, self.extra_outputs = [], [], []
        self.shape = {}  # tensor name → (C, H, W) or (C,)

    @staticmethod
    def _attr_list(node, key):
        return [int(i) for i in node["attr"][key]["list"].get("i", [])]

    @staticmethod
    def _attr_str(node, key):
        import base64
        return base64.b64decode(node["attr"][key]["s"]).decode()

    def _fused(self, node):
        import base64
        ops = node["attr"].get("fused_ops", {}).get("list", {}).get("s", [])
        return [base64.b64decode(o).decode() for o in ops]

    def _init(self, name, arr):
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr, np.float32), name))
        return name

    def _src(self, name):
        return name.split(":")[0]

    def _conv(self, n, depthwise):
        x, wname, bname = [self._src(i) for i in n["input"][:3]]
        c, h, w = self.shape[x]
        k = self.weights[wname]
        kh, kw = k.shape[0], k.shape[1]
        _, sh, sw, _ = self._attr_list(n, "strides")
        if self._attr_list(n, "dilations") not in ([], [1, 1, 1, 1]):
            raise SystemExit(f"{n['name']}: dilation not supported")
        if self._attr_str(n, "data_format") != "NHWC":
            raise SystemExit(f"{n['name']}: only NHWC supported")
        if self._attr_str(n, "padding") == "SAME":
            pad, oh, ow = SamePads(h, w, kh, kw, sh, sw)
        else:
            pad, oh, ow = (0, 0, 0, 0), (h - kh) // sh + 1, (w - kw) // sw + 1
        if depthwise:
            mult = k.shape[3]
            kernel, group, out_c = k.transpose(2, 3, 0, 1).reshape(c * mult, 1, kh, kw), c, c * mult
        else:
            kernel, group, out_c = k.transpose(3, 2, 0, 1), 1, k.shape[3]
        fused = self._fused(n)
        if not fused or fused[0] != "BiasAdd" or any(f not in ("Relu6", "Relu") for f in fused[1:]):
            raise SystemExit(f"{n['name']}: fused ops {fused} not supported")
        name = n["name"]
        conv_out = name if len(fused) == 1 else name + "/conv"
        self.nodes.append(helper.make_node(
            "Conv", [x, self._init(name + "/W", kernel), self._init(name + "/B", self.weights[bname])],
            [conv_out], kernel_shape=[kh, kw], strides=[sh, sw],
            pads=[pad[0], pad[2], pad[1], pad[3]], group=group))
        if len(fused) > 1:
            if fused[1] == "Relu6":
                self.nodes.append(helper.make_node("Clip", [conv_out], [name], min=0.0, max=6.0))
            else:
                self.nodes.append(helper.make_node("Relu", [conv_out], [name]))
        self.shape[name] = (out_c, oh, ow)

    def Convert(self, pools, maps, model_name):
        consts = {n["name"] for n in self.graph if n["op"] == "Const"}
        names = [n["name"] for n in self.graph if n["op"] != "Const"]

        def Resolve(suffix):
            hits = [x for x in names if x == suffix or x.endswith("/" + suffix)]
            if len(hits) != 1:
                raise SystemExit(f"--pool/--map {suffix}: matches {len(hits)} nodes")
            return hits[0]

        wanted = {}
        for short in pools:
            wanted.setdefault(Resolve(short), []).append((short, True))
        for short in maps:
            wanted.setdefault(Resolve(short), []).append((short, False))
        inputs, outputs = [], []
        for n in self.graph:
            op, name = n["op"], n["name"]
            ins = [self._src(i) for i in n.get("input", []) if not i.startswith("^")]
            if op == "Const":
                continue
            if op == "Placeholder":
                dims = [int(d["size"]) for d in n["attr"]["shape"]["shape"]["dim"]]
                _, h, w, c = dims
                inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["N", c, h, w]))
                self.shape[name] = (c, h, w)
            elif op in ("Mul", "Sub", "AddV2", "Add"):
                onnx_op = {"Mul": "Mul", "Sub": "Sub", "AddV2": "Add", "Add": "Add"}[op]
                args = []
                if onnx_op in ("Mul", "Add") and ins[0] in consts:
                    ins = ins[::-1]  # OpenCV wants the constant operand second
                for i in ins:
                    if i in consts:
                        v = self.weights[i]
                        if v.size != 1:
                            raise SystemExit(f"{name}: only scalar constants supported")
                        args.append(self._init(i, v.reshape(1)))
                    else:
                        args.append(i)
                        self.shape[name] = self.shape[i]
                self.nodes.append(helper.make_node(onnx_op, args, [name]))
            elif op == "_FusedConv2D":
                self._conv(n, False)
            elif op == "FusedDepthwiseConv2dNative":
                self._conv(n, True)
            elif op == "AvgPool":
                c, h, w = self.shape[ins[0]]
                if self._attr_list(n, "ksize") != [1, h, w, 1]:
                    raise SystemExit(f"{name}: only global average pooling supported")
                self.nodes.append(helper.make_node("GlobalAveragePool", ins, [name]))
                self.shape[name] = (c, 1, 1)
            elif op == "Squeeze":
                self.nodes.append(helper.make_node("Flatten", ins, [name], axis=1))
                self.shape[name] = (self.shape[ins[0]][0],)
            elif op == "_FusedMatMul":
                if self._fused(n) != ["BiasAdd"] or n["attr"]["transpose_b"]["b"]:
                    raise SystemExit(f"{name}: unsupported MatMul form")
                k, b = self.weights[ins[1]], self.weights[ins[2]]
                self.nodes.append(helper.make_node(
                    "Gemm", [ins[0], self._init(name + "/W", k.T), self._init(name + "/B", b)],
                    [name], transB=1))
                self.shape[name] = (k.shape[1],)
            elif op == "Softmax":
                self.nodes.append(helper.make_node("Softmax", ins, [name], axis=1))
                self.shape[name] = self.shape[ins[0]]
            elif op == "Identity":
                self.nodes.append(helper.make_node("Identity", ins, ["logits"]))
                outputs.append(helper.make_tensor_value_info(
                    "logits", TensorProto.FLOAT, ["N", self.shape[ins[0]][0]]))
            else:
                raise SystemExit(f"{name}: op {op} not supported")
            for short, pooled in wanted.get(name, []):
                c = self.shape[name][0]
                if pooled:
                    gap = f"pool/{short}/gap"
                    self.nodes.append(helper.make_node("GlobalAveragePool", [name], [gap]))
                    self.nodes.append(helper.make_node("Flatten", [gap], [f"pool/{short}"], axis=1))
                    outputs.append(helper.make_tensor_value_info(f"pool/{short}", TensorProto.FLOAT,
                                                                 ["N", c]))
                else:
                    self.nodes.append(helper.make_node("Identity", [name], [f"map/{short}"]))
                    outputs.append(helper.make_tensor_value_info(
                        f"map/{short}", TensorProto.FLOAT, ["N", c] + list(self.shape[name][1:])))
        graph = helper.make_graph(self.nodes, model_name, inputs, outputs, self.inits)
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
    ap.add_argument("--map", action="append", default=[],
                    help="layer whose feature map becomes an output")
    ap.add_argument("--name", default="model")
    ap.add_argument("--extract", action="append", default=[],
                    help="FILE=OUTPUT[,OUTPUT]: also write the subgraph for these outputs")
    args = ap.parse_args()
    with open(os.path.join(args.dump_dir, "topology.json")) as f:
        is_graph = "node" in json.load(f)["modelTopology"]
    conv = GraphConverter(args.dump_dir) if is_graph else Converter(args.dump_dir)
    model = conv.Convert(args.pool, args.map, args.name)
    tmp = args.out + ".tmp"
    onnx.save(model, tmp)
    os.replace(tmp, args.out)
    for spec in args.extract:
        path, _, outs = spec.partition("=")

        onnx.utils.extract_model(args.out, path + ".tmp", [model.graph.input[0].name],
                                 outs.split(","))
        os.replace(path + ".tmp", path)


if __name__ == "__main__":
    sys.exit(main())
