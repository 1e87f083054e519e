package onnx

import (
	"encoding/binary"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// The messages of onnx.proto (ONNX IR version 8, onnx/onnx.proto) that
// fastgo writes, encoded field by field with protowire. Field numbers are
// onnx.proto's; only the fields used are listed.

// message is an encoded protobuf message being built.
type message []byte

func (m *message) varint(field protowire.Number, v uint64) {
	*m = protowire.AppendTag(*m, field, protowire.VarintType)
	*m = protowire.AppendVarint(*m, v)
}

func (m *message) int(field protowire.Number, v int64) { m.varint(field, uint64(v)) }

func (m *message) bytes(field protowire.Number, b []byte) {
	*m = protowire.AppendTag(*m, field, protowire.BytesType)
	*m = protowire.AppendBytes(*m, b)
}

func (m *message) string(field protowire.Number, s string) { m.bytes(field, []byte(s)) }

func (m *message) message(field protowire.Number, sub message) { m.bytes(field, sub) }

// packedInts writes a packed repeated int64 field.
func (m *message) packedInts(field protowire.Number, vs []int64) {
	var b []byte
	for _, v := range vs {
		b = protowire.AppendVarint(b, uint64(v))
	}
	m.bytes(field, b)
}

// TensorProto.DataType values.
const (
	typeFloat = 1
	typeUint8 = 2
	typeInt64 = 7
)

// tensorProto is a TensorProto holding float32 or int64 data as raw_data
// (little-endian): dims 1, data_type 2, name 8, raw_data 9.
func tensorProto(name string, dims []int64, f32 []float32, i64 []int64) message {
	var t message
	t.packedInts(1, dims)
	raw := make([]byte, 0, 4*len(f32)+8*len(i64))
	if i64 != nil {
		t.int(2, typeInt64)
		for _, v := range i64 {
			raw = binary.LittleEndian.AppendUint64(raw, uint64(v))
		}
	} else {
		t.int(2, typeFloat)
		for _, v := range f32 {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
		}
	}
	t.string(8, name)
	t.bytes(9, raw)
	return t
}

// AttributeProto: name 1, f 2, i 3, s 4, floats 7, ints 8, type 20
// (FLOAT 1, INT 2, STRING 3, FLOATS 6, INTS 7).
type attribute message

func attrInt(name string, v int64) attribute {
	var a message
	a.string(1, name)
	a.int(3, v)
	a.int(20, 2)
	return attribute(a)
}

func attrInts(name string, vs ...int64) attribute {
	var a message
	a.string(1, name)
	for _, v := range vs { // repeated int64 ints = 8 (not packed in proto2)
		a.int(8, v)
	}
	a.int(20, 7)
	return attribute(a)
}

func attrString(name, v string) attribute {
	var a message
	a.string(1, name)
	a.string(4, v)
	a.int(20, 3)
	return attribute(a)
}

// nodeProto: input 1, output 2, name 3, op_type 4, attribute 5.
func nodeProto(op, name string, inputs, outputs []string, attrs []attribute) message {
	var n message
	for _, in := range inputs {
		n.string(1, in)
	}
	for _, out := range outputs {
		n.string(2, out)
	}
	n.string(3, name)
	n.string(4, op)
	for _, a := range attrs {
		n.message(5, message(a))
	}
	return n
}

// valueInfo is a ValueInfoProto (name 1, type 2) of a tensor: TypeProto
// tensor_type 1 → TypeProto.Tensor elem_type 1, shape 2 →
// TensorShapeProto dim 1 → Dimension dim_value 1 | dim_param 2. A dim
// below 0 is the symbolic "batch".
func valueInfo(name string, elemType int64, dims []int64) message {
	var shape message
	for _, d := range dims {
		var dim message
		if d < 0 {
			dim.string(2, "batch")
		} else {
			dim.int(1, d)
		}
		shape.message(1, dim)
	}
	var tensor message
	tensor.int(1, elemType)
	tensor.message(2, shape)
	var typ message
	typ.message(1, tensor)
	var v message
	v.string(1, name)
	v.message(2, typ)
	return v
}

// graphProto: node 1, name 2, initializer 5, doc_string 10, input 11,
// output 12.
func graphProto(name, doc string, nodes, initializers, inputs, outputs []message) message {
	var g message
	for _, n := range nodes {
		g.message(1, n)
	}
	g.string(2, name)
	for _, t := range initializers {
		g.message(5, t)
	}
	g.string(10, doc)
	for _, v := range inputs {
		g.message(11, v)
	}
	for _, v := range outputs {
		g.message(12, v)
	}
	return g
}

// IRVersion and Opset are the versions written: IR version 8 is the one
// of opset 17 (ONNX 1.12).
const (
	IRVersion = 8
	Opset     = 17
)

// modelProto: ir_version 1, producer_name 2, producer_version 3,
// doc_string 6, graph 7, opset_import 8 (OperatorSetIdProto: domain 1,
// version 2), metadata_props 14 (StringStringEntryProto: key 1, value 2).
func modelProto(producer, version, doc string, graph message, metadata [][2]string) message {
	var m message
	m.int(1, IRVersion)
	m.string(2, producer)
	m.string(3, version)
	m.string(6, doc)
	m.message(7, graph)
	var opset message
	opset.string(1, "")
	opset.int(2, Opset)
	m.message(8, opset)
	for _, kv := range metadata {
		var e message
		e.string(1, kv[0])
		e.string(2, kv[1])
		m.message(14, e)
	}
	return m
}
