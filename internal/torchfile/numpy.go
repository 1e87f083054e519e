package torchfile

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// NumpyScalar decodes a numpy scalar pickled as
// numpy.core.multiarray.scalar(dtype, bytes) (numpy 2: numpy._core…), as
// fastai v1's optimizer state and hyper-parameters hold them: float16/32/64
// give a float64, signed and unsigned integers an int, bool a bool, and
// str_ (dtype U) a string. ok is false for anything else.
func NumpyScalar(v any) (any, bool) {
	o, ok := v.(*Object)
	if !ok || !o.Is("numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar") || len(o.Args) != 2 {
		return nil, false
	}
	dt, ok := o.Args[0].(*Object)
	if !ok || !dt.Is("numpy.dtype") || len(dt.Args) < 1 {
		return nil, false
	}
	code, _ := dt.Args[0].(string)
	data, ok := o.Args[1].([]byte)
	if !ok || code == "" {
		return nil, false
	}
	bigEndian := false
	if st, ok := Seq(dt.State); ok && len(st) > 1 {
		bigEndian = st[1] == ">"
	}
	val, err := decodeScalar(code, data, bigEndian)
	return val, err == nil
}

func decodeScalar(code string, data []byte, bigEndian bool) (any, error) {
	var order binary.ByteOrder = binary.LittleEndian
	if bigEndian {
		order = binary.BigEndian
	}
	kind := code[0]
	n, err := strconv.Atoi(code[1:])
	want := n
	if kind == 'U' {
		want = 4 * n
	}
	if err != nil || n <= 0 || len(data) != want {
		return nil, errNotScalar
	}
	switch {
	case kind == 'f' && n == 8:
		return math.Float64frombits(order.Uint64(data)), nil
	case kind == 'f' && n == 4:
		return float64(math.Float32frombits(order.Uint32(data))), nil
	case kind == 'f' && n == 2:
		return float64(halfToFloat(order.Uint16(data))), nil
	case kind == 'b' && n == 1:
		return data[0] != 0, nil
	case kind == 'i' || kind == 'u':
		var x uint64
		switch n {
		case 1:
			x = uint64(data[0])
		case 2:
			x = uint64(order.Uint16(data))
		case 4:
			x = uint64(order.Uint32(data))
		case 8:
			x = order.Uint64(data)
		default:
			return nil, errNotScalar
		}
		if kind == 'i' { // sign-extend
			shift := 64 - 8*uint(n)
			return int(int64(x<<shift) >> shift), nil
		}
		if x > math.MaxInt64 {
			return nil, errNotScalar
		}
		return int(x), nil
	case kind == 'U': // UTF-32, n code points, NUL-padded
		var b strings.Builder
		for i := 0; i < len(data); i += 4 {
			r := rune(order.Uint32(data[i:]))
			if r == 0 {
				break
			}
			if !utf8.ValidRune(r) {
				return nil, errNotScalar
			}
			b.WriteRune(r)
		}
		return b.String(), nil
	}
	return nil, errNotScalar
}
