package main

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/fastgo-ml/fastgo/fastgo/vision/models"
)

// entry is one state-dict tensor: float32 values, or one int64 (the
// num_batches_tracked counters).
type entry struct {
	key   string
	shape []int
	f32   []float32
	i64   *int64
}

// StateDict returns arch's state dict as torchvision lays it out — the body
// tensors of arch.StateDict() with a num_batches_tracked counter after each
// batch norm, then fc.weight and fc.bias — filled with seeded values of
// plausible scale (kaiming-normal kernels, positive running variances).
func StateDict(arch models.Arch, classes int, seed uint64) []entry {
	rng := rand.New(rand.NewPCG(seed, 0x7e57))
	normal := func(n int, std float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * std)
		}
		return v
	}
	uniform := func(n int, lo, hi float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(lo + (hi-lo)*rng.Float64())
		}
		return v
	}
	var out []entry
	for _, spec := range arch.StateDict() {
		n := 1
		for _, d := range spec.Shape {
			n *= d
		}
		var v []float32
		switch {
		case len(spec.Shape) == 4:
			v = normal(n, math.Sqrt(2/float64(n/spec.Shape[0])))
		case strings.HasSuffix(spec.Key, ".weight"), strings.HasSuffix(spec.Key, ".running_var"):
			v = uniform(n, 0.5, 1.5)
		default: // bias, running_mean
			v = normal(n, 0.2)
		}
		out = append(out, entry{key: spec.Key, shape: spec.Shape, f32: v})
		if strings.HasSuffix(spec.Key, ".running_var") {
			count := int64(100)
			out = append(out, entry{key: strings.TrimSuffix(spec.Key, "running_var") + "num_batches_tracked", i64: &count})
		}
	}
	nf := arch.NumFeatures()
	out = append(out,
		entry{key: "fc.weight", shape: []int{classes, nf}, f32: normal(classes*nf, 1/math.Sqrt(float64(nf)))},
		entry{key: "fc.bias", shape: []int{classes}, f32: normal(classes, 0.1)})
	return out
}

// Checkpoint returns the bytes of a torch.save zip checkpoint of StateDict.
func Checkpoint(arch models.Arch, classes int, seed uint64) ([]byte, error) {
	entries := StateDict(arch, classes, seed)
	const dir = "tiny_resnet/"
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name string, data []byte) error {
		// Stored, not deflated, as torch.save does; a fixed time keeps the file reproducible.
		w, err := zw.CreateHeader(&zip.FileHeader{Name: dir + name, Method: zip.Store,
			Modified: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err == nil {
			_, err = w.Write(data)
		}
		return err
	}
	if err := add("data.pkl", pickleStateDict(entries, false)); err != nil {
		return nil, err
	}
	for i, e := range entries {
		if err := add("data/"+itoa(i), e.raw()); err != nil {
			return nil, err
		}
	}
	if err := add("byteorder", []byte("little")); err != nil {
		return nil, err
	}
	if err := add("version", []byte("3\n")); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// raw is the entry's storage, little-endian.
func (e entry) raw() []byte {
	if e.i64 != nil {
		return binary.LittleEndian.AppendUint64(nil, uint64(*e.i64))
	}
	var raw []byte
	for _, v := range e.f32 {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
	}
	return raw
}

func (e entry) numel() int {
	if e.i64 != nil {
		return 1
	}
	return len(e.f32)
}

// LegacyCheckpoint returns the same state dict in the format torch.save
// wrote before torch 1.6 (and still writes with
// _use_new_zipfile_serialization=False): five pickles — the magic number,
// the protocol version 1001, system information, the state dict (storages as
// persistent ids with a sixth, view, element) and the list of storage keys —
// followed by each storage as an int64 element count and its raw data.
func LegacyCheckpoint(arch models.Arch, classes int, seed uint64) []byte {
	entries := StateDict(arch, classes, seed)
	var out bytes.Buffer
	magic := []byte{0x80, 2, 0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, opStop}
	out.Write(magic)
	out.Write([]byte{0x80, 2, 'M', 0xe9, 0x03, opStop}) // 1001
	out.Write([]byte{0x80, 2, '}', opStop})             // system information: none
	out.Write(pickleStateDict(entries, true))
	var keys pickler
	keys.op(opProto)
	keys.op(2)
	keys.op(']')
	keys.op(opMark)
	for i := range entries {
		keys.str(itoa(i))
	}
	keys.op('e') // APPENDS
	keys.op(opStop)
	out.Write(keys.Bytes())
	for _, e := range entries {
		_ = binary.Write(&out, binary.LittleEndian, int64(e.numel()))
		out.Write(e.raw())
	}
	return out.Bytes()
}

func itoa(i int) string { return strconv.Itoa(i) }

// Pickle opcodes (protocol 2) used by torch.save.
const (
	opProto      = 0x80
	opGlobal     = 'c'
	opEmptyTuple = ')'
	opReduce     = 'R'
	opMark       = '('
	opTuple      = 't'
	opSetItems   = 'u'
	opBinUnicode = 'X'
	opBinInt     = 'J'
	opBinPersID  = 'Q'
	opNewFalse   = 0x89
	opStop       = '.'
)

type pickler struct{ bytes.Buffer }

func (p *pickler) op(b byte) { p.WriteByte(b) }
func (p *pickler) global(module, name string) {
	p.op(opGlobal)
	p.WriteString(module + "\n" + name + "\n")
}
func (p *pickler) str(s string) {
	p.op(opBinUnicode)
	_ = binary.Write(p, binary.LittleEndian, uint32(len(s)))
	p.WriteString(s)
}
func (p *pickler) int(i int) { p.op(opBinInt); _ = binary.Write(p, binary.LittleEndian, int32(i)) }
func (p *pickler) tuple(ints []int) {
	if len(ints) == 0 {
		p.op(opEmptyTuple)
		return
	}
	p.op(opMark)
	for _, i := range ints {
		p.int(i)
	}
	p.op(opTuple)
}
func (p *pickler) orderedDict() {
	p.global("collections", "OrderedDict")
	p.op(opEmptyTuple)
	p.op(opReduce)
}

// pickleStateDict writes the data.pkl of a checkpoint whose i-th storage is
// the record data/<i> (legacy: the i-th storage after the pickles, whose
// persistent ids carry a sixth element, the view metadata None).
func pickleStateDict(entries []entry, legacy bool) []byte {
	var p pickler
	p.op(opProto)
	p.op(2)
	p.orderedDict()
	p.op(opMark)
	for i, e := range entries {
		p.str(e.key)
		p.global("torch._utils", "_rebuild_tensor_v2")
		p.op(opMark)
		// Storage, as a persistent id.
		p.op(opMark)
		p.str("storage")
		if e.i64 != nil {
			p.global("torch", "LongStorage")
		} else {
			p.global("torch", "FloatStorage")
		}
		p.str(itoa(i))
		p.str("cpu")
		p.int(e.numel())
		if legacy {
			p.op('N')
		}
		p.op(opTuple)
		p.op(opBinPersID)
		p.int(0) // storage offset
		p.tuple(e.shape)
		p.tuple(rowMajorStrides(e.shape))
		p.op(opNewFalse) // requires_grad
		p.orderedDict()  // backward hooks
		p.op(opTuple)
		p.op(opReduce)
	}
	p.op(opSetItems)
	p.op(opStop)
	return p.Bytes()
}

func rowMajorStrides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}
