package torchfile

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path"
	"strings"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/types"
)

// Layout is how a torch.save file is laid out.
type Layout int

const (
	// Zip is the zip format of torch ≥ 1.6.
	Zip Layout = iota
	// Legacy is the format of torch < 1.6 (and _use_new_zipfile_serialization=False).
	Legacy
)

// String names the layout.
func (l Layout) String() string {
	if l == Legacy {
		return "legacy torch.save format"
	}
	return "torch.save zip format"
}

// File is a torch.save file read as data.
type File struct {
	// Layout is the file's format; Folder its zip folder ("archive", or
	// the name the file had when it was saved), "" for Legacy.
	Layout Layout
	Folder string
	// Root is the object torch.save was given.
	Root any
}

// maxRecord bounds one zip record read into memory (torchvision's ResNet50
// weights are 98 MiB, a ResNet152 learner about 240 MiB).
const maxRecord = 4 << 30

// Load reads the torch.save file at path (see the package documentation).
// Errors name the file and say what is wrong: not a torch.save file, a
// TorchScript archive, a length or storage past the end of the file, a
// malformed pickle, a zip record whose CRC-32 does not match (named), a
// pickle that calls a function running code (os.system, eval…: refused
// naming the call; nothing is run).
func Load(file string) (f *File, err error) {
	defer func() {
		// gopickle can panic on malformed pickles; report them as errors.
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("read %s: not a valid PyTorch file (%v)", file, r)
		}
	}()
	head := make([]byte, 4)
	fh, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	n, _ := io.ReadFull(fh, head)
	fh.Close()
	switch {
	case n == 4 && string(head) == "PK\x03\x04":
		f, err = loadZip(file)
	case n >= 1 && head[0] == 0x80: // a pickle: the legacy format starts with its magic number
		f, err = loadLegacy(file)
	default:
		err = errors.New("not a PyTorch file (neither the zip format of torch.save nor the legacy one)")
	}
	if err == nil {
		if o := codeCall(f.Root); o != nil {
			err = refuseCode(o)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	return f, nil
}

// newUnpickler returns an unpickler of data whose classes are inert.
func newUnpickler(r io.Reader) *pickle.Unpickler {
	u := pickle.NewUnpickler(r)
	u.FindClass = findClass
	return &u
}

// findClass maps the few names the reader interprets to their Go
// counterparts and every other one to an inert [*Global].
func findClass(module, name string) (any, error) {
	switch module + "." + name {
	case "torch._utils._rebuild_tensor_v2":
		return rebuildTensor{}, nil
	case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
		return rebuildParameter{}, nil
	case "fastai.torch_core._rebuild_from_type":
		return rebuildFromType{}, nil
	case "_codecs.encode":
		return codecsEncode{}, nil
	case "copyreg._reconstructor", "copy_reg._reconstructor":
		return &types.Reconstructor{}, nil
	case "builtins.object", "__builtin__.object":
		return &types.ObjectClass{}, nil
	case "collections.OrderedDict":
		return &types.OrderedDictClass{}, nil
	}
	if module == "torch" && strings.HasSuffix(name, "Storage") {
		if dt := DType(strings.TrimSuffix(name, "Storage")); dt.Size() > 0 {
			return storageClass{dt}, nil
		}
	}
	return &Global{Module: module, Name: name}, nil
}

// codecsEncode is _codecs.encode(str, 'latin1'): how protocol 2 pickles
// Python 3 bytes (numpy scalars carry their value so).
type codecsEncode struct{}

func (codecsEncode) Call(args ...any) (any, error) {
	if len(args) != 2 {
		return nil, fmt.Errorf("_codecs.encode with %d arguments", len(args))
	}
	s, ok1 := args[0].(string)
	enc, ok2 := args[1].(string)
	if !ok1 || !ok2 || (enc != "latin1" && enc != "latin-1") {
		return nil, fmt.Errorf("_codecs.encode(%v, %v): only latin1 strings are read", ClassName(args[0]), args[1])
	}
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			return nil, errors.New("_codecs.encode: a character outside latin1")
		}
		out = append(out, byte(r))
	}
	return out, nil
}

// loadZip reads the zip layout.
func loadZip(file string) (*File, error) {
	zr, err := zip.OpenReader(file)
	if err != nil {
		return nil, fmt.Errorf("corrupt or truncated zip: %w", err)
	}
	defer zr.Close()
	records := make(map[string]*zip.File, len(zr.File))
	read := map[*zip.File]bool{} // the records read (and so checked) so far
	folder := ""
	for _, f := range zr.File {
		records[f.Name] = f
		dir, base := path.Split(f.Name)
		if base == "data.pkl" && strings.Count(f.Name, "/") == 1 {
			folder = strings.TrimSuffix(dir, "/")
		}
	}
	if folder == "" {
		return nil, errors.New("no FOLDER/data.pkl in the zip: not a file written by torch.save")
	}
	if _, ok := records[folder+"/constants.pkl"]; ok {
		return nil, errors.New("a TorchScript archive (torch.jit.save), not a torch.save file")
	}
	if bo, ok := records[folder+"/byteorder"]; ok {
		b, err := readRecord(bo, 16)
		if err != nil {
			return nil, err
		}
		read[bo] = true
		if string(b) != "little" {
			return nil, fmt.Errorf("byte order %q: only little-endian files are read", b)
		}
	}
	data, err := readRecord(records[folder+"/data.pkl"], maxRecord)
	if err != nil {
		return nil, err
	}
	read[records[folder+"/data.pkl"]] = true
	if err := checkPickle(data); err != nil {
		return nil, fmt.Errorf("data.pkl: %w", err)
	}
	storages := map[string]*Storage{}
	u := newUnpickler(bytes.NewReader(data))
	u.PersistentLoad = func(id any) (any, error) {
		t, ok := id.(*types.Tuple)
		if !ok || t.Len() != 5 || t.Get(0) != "storage" {
			return nil, fmt.Errorf("unexpected persistent id %v", id)
		}
		class, okClass := t.Get(1).(storageClass)
		key, okKey := t.Get(2).(string)
		location, _ := t.Get(3).(string)
		numel, okSize := t.Get(4).(int)
		if !okClass || !okKey || !okSize || numel < 0 {
			return nil, fmt.Errorf("unexpected persistent id %v", id)
		}
		if s, ok := storages[key]; ok {
			return s, nil
		}
		rec, ok := records[folder+"/data/"+key]
		if !ok {
			return nil, fmt.Errorf("storage record %s/data/%s is missing", folder, key)
		}
		size := uint64(numel) * uint64(class.dtype.Size())
		if size > rec.UncompressedSize64 {
			return nil, fmt.Errorf("storage %s/data/%s claims %d elements but holds %d bytes", folder, key, numel, rec.UncompressedSize64)
		}
		b, err := readRecord(rec, size)
		if err != nil {
			return nil, err
		}
		read[rec] = true
		s := &Storage{DType: class.dtype, Location: location, Data: b[:size]}
		storages[key] = s
		return s, nil
	}
	root, err := u.Load()
	if err != nil {
		return nil, fmt.Errorf("data.pkl: %w", err)
	}
	if err := checkRecords(zr.File, read); err != nil {
		return nil, err
	}
	return &File{Layout: Zip, Folder: folder, Root: root}, nil
}

// readRecord reads a zip record whole, checking its CRC-32 (archive/zip
// checks it when a record is read to its end), and returns its first
// min(limit, size) bytes. The buffer grows with what is really read: a
// header claiming gigabytes costs nothing until they are there.
func readRecord(f *zip.File, limit uint64) ([]byte, error) {
	if f.UncompressedSize64 > maxRecord {
		return nil, fmt.Errorf("record %s is %d bytes, more than fastgo reads", f.Name, f.UncompressedSize64)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, recordError(f, err)
	}
	defer rc.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(rc); err != nil {
		return nil, recordError(f, err)
	}
	if uint64(b.Len()) != f.UncompressedSize64 {
		return nil, fmt.Errorf("record %s: %d bytes, the zip says %d", f.Name, b.Len(), f.UncompressedSize64)
	}
	return b.Bytes()[:min(limit, f.UncompressedSize64)], nil
}

// checkRecords reads every record not read yet, to check its CRC-32: a
// damaged byte anywhere in the file is an error, as Python's
// zipfile.testzip finds it (torch.load itself does not check).
func checkRecords(records []*zip.File, read map[*zip.File]bool) error {
	for _, f := range records {
		if read[f] {
			continue
		}
		if _, err := readRecord(f, 0); err != nil {
			return err
		}
	}
	return nil
}

// recordError names the record that could not be read; a CRC mismatch
// says the file is damaged.
func recordError(f *zip.File, err error) error {
	if errors.Is(err, zip.ErrChecksum) {
		return fmt.Errorf("record %s is damaged: its bytes do not match the CRC-32 checksum the zip holds (the file changed after it was written: a bad copy, download or disk): copy or download it again", f.Name)
	}
	if errors.Is(err, zip.ErrFormat) {
		return fmt.Errorf("record %s is damaged (%w): copy or download the file again", f.Name, err)
	}
	return fmt.Errorf("record %s: %w", f.Name, err)
}

// legacyMagic is torch.serialization's MAGIC_NUMBER, pickled first.
var legacyMagic, _ = new(big.Int).SetString("1950a86a20f9469cfc6c", 16)

// legacyStorage is a storage of the legacy format while the pickles are
// read: its bytes follow them; a view (torch < 0.4) is a slice of a root.
type legacyStorage struct {
	*Storage
	numel        int
	root         string // for views: the root key, offset and size in elements
	offset, size int
}

// loadLegacy reads the legacy layout.
func loadLegacy(file string) (*File, error) {
	st, err := os.Stat(file)
	if err != nil {
		return nil, err
	}
	if st.Size() > maxRecord {
		return nil, fmt.Errorf("%d bytes, more than fastgo reads", st.Size())
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	r := bytes.NewReader(data)
	next := func(what string, persistent func(any) (any, error)) (any, error) {
		if err := checkPickle(data[len(data)-r.Len():]); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		u := newUnpickler(r)
		u.PersistentLoad = persistent
		v, err := u.Load()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		return v, nil
	}
	magic, err := next("magic number", nil)
	if m, ok := magic.(*big.Int); err != nil || !ok || m.Cmp(legacyMagic) != 0 {
		return nil, errors.New("not a PyTorch file (a pickle, but without torch.save's magic number)")
	}
	if v, err := next("protocol version", nil); err != nil || v != 1001 {
		return nil, fmt.Errorf("legacy protocol version %v, not 1001", v)
	}
	info, err := next("system information", nil)
	if err != nil {
		return nil, err
	}
	if le, ok := Get(info, "little_endian"); ok && le != true {
		return nil, errors.New("saved on a big-endian machine: only little-endian files are read")
	}
	storages := map[string]*legacyStorage{}
	var views []*legacyStorage
	root, err := next("object", func(id any) (any, error) {
		t, ok := id.(*types.Tuple)
		if !ok || t.Len() < 2 {
			return nil, fmt.Errorf("unexpected persistent id %v", id)
		}
		switch t.Get(0) {
		case "module": // ('module', class, source file, source): the class
			return t.Get(1), nil
		case "storage":
		default:
			return nil, fmt.Errorf("unexpected persistent id %v", id)
		}
		if t.Len() != 6 {
			return nil, fmt.Errorf("unexpected persistent id %v", id)
		}
		class, okClass := t.Get(1).(storageClass)
		key, okKey := t.Get(2).(string)
		location, _ := t.Get(3).(string)
		numel, okSize := t.Get(4).(int)
		if !okClass || !okKey || !okSize || numel < 0 || uint64(numel)*uint64(class.dtype.Size()) > uint64(len(data)) {
			return nil, fmt.Errorf("unexpected persistent id %v", id)
		}
		s, ok := storages[key]
		if !ok {
			s = &legacyStorage{Storage: &Storage{DType: class.dtype, Location: location}, numel: numel}
			storages[key] = s
		}
		if view, ok := t.Get(5).(*types.Tuple); ok && view.Len() == 3 {
			vkey, ok1 := view.Get(0).(string)
			off, ok2 := view.Get(1).(int)
			size, ok3 := view.Get(2).(int)
			if !ok1 || !ok2 || !ok3 || off < 0 || size < 0 || off+size > numel {
				return nil, fmt.Errorf("unexpected storage view %v", view)
			}
			v := &legacyStorage{Storage: &Storage{DType: class.dtype, Location: location}, root: key, offset: off, size: size}
			views = append(views, v)
			storages[vkey] = v
			return v.Storage, nil
		}
		return s.Storage, nil
	})
	if err != nil {
		return nil, err
	}
	keysValue, err := next("storage keys", nil)
	if err != nil {
		return nil, err
	}
	keys, ok := Seq(keysValue)
	if !ok {
		return nil, fmt.Errorf("storage keys are a %s, not a list", ClassName(keysValue))
	}
	pos := len(data) - r.Len()
	for _, k := range keys {
		key, _ := k.(string)
		s, ok := storages[key]
		if !ok || s.root != "" {
			return nil, fmt.Errorf("storage %v is listed but not used", k)
		}
		if pos+8 > len(data) {
			return nil, fmt.Errorf("storage %s: the file ends at byte %d", key, len(data))
		}
		numel := binary.LittleEndian.Uint64(data[pos:])
		size := numel * uint64(s.DType.Size())
		pos += 8
		if numel != uint64(s.numel) || size > uint64(len(data)-pos) {
			return nil, fmt.Errorf("storage %s: %d elements of %d bytes at byte %d, the file has %d bytes (declared %d elements)",
				key, numel, s.DType.Size(), pos, len(data), s.numel)
		}
		s.Data = data[pos : pos+int(size)]
		pos += int(size)
	}
	for key, s := range storages {
		if s.root == "" && s.Data == nil && s.numel > 0 {
			return nil, fmt.Errorf("storage %s has no data in the file", key)
		}
	}
	for _, v := range views {
		rootData := storages[v.root].Data
		es := v.DType.Size()
		v.Data = rootData[v.offset*es : (v.offset+v.size)*es]
	}
	return &File{Layout: Legacy, Root: root}, nil
}
